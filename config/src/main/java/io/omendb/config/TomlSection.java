package io.omendb.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Typed, checked access to one TOML table. Every accessor records the key it read; {@link #rejectUnknownKeys()}
 * then refuses any key nobody asked for, so a typo ({@code max_eror}) fails the start instead of being ignored.
 *
 * <p>Errors name the fully qualified key ({@code index.max_error}), or the operations guide's name it was written
 * under ({@code http.host} for {@code http.bind_address}). Not thread-safe: used once, while loading.
 */
final class TomlSection {
    private final String name;
    private final JsonNode table;
    private final Set<String> known = new LinkedHashSet<>();
    /** Qualified key read here mapped to the name the file wrote it under ({@link GuideKeys} aliases). */
    private final Map<String, String> writtenAs;

    TomlSection(String name, JsonNode table) {
        this(name, table, Map.of());
    }

    TomlSection(String name, JsonNode table, Map<String, String> writtenAs) {
        this.name = name;
        this.writtenAs = writtenAs;
        this.table = table == null ? MissingNode.getInstance() : table;
        if (!this.table.isMissingNode() && !this.table.isObject()) {
            throw new ConfigException(name, "must be a table");
        }
    }

    /** The key as the file wrote it: {@code section.key}, or the guide's name it was moved from. */
    String qualified(String key) {
        String q = name.isEmpty() ? key : name + "." + key;
        return writtenAs.getOrDefault(q, q);
    }

    private JsonNode node(String key) {
        known.add(key);
        return table.path(key);
    }

    boolean has(String key) {
        return !table.path(key).isMissingNode();
    }

    long longIn(String key, long defaultValue, long min, long max) {
        JsonNode n = node(key);
        if (n.isMissingNode()) {
            return defaultValue;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new ConfigException(qualified(key), "must be an integer, got " + n);
        }
        return checkRange(qualified(key), n.asLong(), min, max);
    }

    int intIn(String key, int defaultValue, int min, int max) {
        return (int) longIn(key, defaultValue, min, max);
    }

    boolean bool(String key, boolean defaultValue) {
        JsonNode n = node(key);
        if (n.isMissingNode()) {
            return defaultValue;
        }
        if (!n.isBoolean()) {
            throw new ConfigException(qualified(key), "must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    String string(String key, String defaultValue, Predicate<String> valid, String expectation) {
        JsonNode n = node(key);
        if (n.isMissingNode()) {
            return defaultValue;
        }
        if (!n.isTextual()) {
            throw new ConfigException(qualified(key), "must be a string, got " + n);
        }
        String v = n.asText();
        if (!valid.test(v)) {
            throw new ConfigException(qualified(key), expectation + ", got '" + v + "'");
        }
        return v;
    }

    String requiredString(String key, Predicate<String> valid, String expectation) {
        if (!has(key)) {
            throw new ConfigException(qualified(key), "is required");
        }
        return string(key, null, valid, expectation);
    }

    List<String> strings(String key) {
        JsonNode n = node(key);
        List<String> out = new ArrayList<>();
        if (n.isMissingNode()) {
            return out;
        }
        if (!n.isArray()) {
            throw new ConfigException(qualified(key), "must be an array of strings");
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new ConfigException(qualified(key), "must be an array of strings, found " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    /**
     * The table under {@code key} as string keys to string values, in file order; an inline table
     * ({@code key = { "a.b" = "x" }}) or a {@code [section.key]} table. Errors name the entry
     * ({@code section.key."a.b"}).
     */
    Map<String, String> stringMap(String key, String keyExpectation, Predicate<String> keyValid,
                                  Predicate<String> valueValid, String valueExpectation) {
        JsonNode n = node(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (n.isMissingNode()) {
            return out;
        }
        if (!n.isObject()) {
            throw new ConfigException(qualified(key), "must be a table of strings, got " + n);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String entry = qualified(key) + ".\"" + e.getKey() + "\"";
            if (!e.getValue().isTextual()) {
                throw new ConfigException(entry, "must be a string, got " + e.getValue() + " (the key must be "
                        + keyExpectation + ")");
            }
            if (!keyValid.test(e.getKey())) {
                throw new ConfigException(entry, "the key must be " + keyExpectation);
            }
            if (!valueValid.test(e.getValue().asText())) {
                throw new ConfigException(entry, valueExpectation + ", got '" + e.getValue().asText() + "'");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** The array of tables under {@code key}, each as its own section named {@code section.key[i]}. */
    List<TomlSection> tables(String key) {
        JsonNode n = node(key);
        List<TomlSection> out = new ArrayList<>();
        if (n.isMissingNode()) {
            return out;
        }
        if (!n.isArray()) {
            throw new ConfigException(qualified(key), "must be an array of tables ([[" + qualified(key) + "]])");
        }
        int i = 0;
        for (JsonNode e : n) {
            out.add(new TomlSection(qualified(key) + "[" + i++ + "]", e));
        }
        return out;
    }

    void rejectUnknownKeys() {
        for (Iterator<String> it = table.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key)) {
                throw new ConfigException(qualified(key), "unknown key (known keys: " + String.join(", ", known) + ")");
            }
        }
    }

    static long checkRange(String key, long v, long min, long max) {
        if (v < min || v > max) {
            throw new ConfigException(key, "must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }
}
