package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The tarball's {@code conf/omendb.toml} is what the product loads, lists exactly the keys docs/CONFIG.md
 * documents, and ships the product's defaults except for the few production choices named here.
 */
class ShippedConfigTest {
    /** Keys whose shipped value deliberately differs from the built-in default, and why. */
    static final Map<String, String> PRODUCTION_OVERRIDES = Map.of(
            "database.data_dir", "the FHS data directory instead of ./data",
            "security.users_file", "users live in /etc/omendb, not in the data directory",
            "security.roles_file", "roles live in /etc/omendb, not in the data directory");
    /** [cluster] describes the deployment, not a tunable: its shipped values are a one-node example. */
    static final String DEPLOYMENT_SECTION = "cluster";

    private static final TomlMapper TOML = new TomlMapper();

    @Test
    void loadsWithTheProductsLoader() throws Exception {
        OmenConfig c = ConfigLoader.load(DistPaths.shippedConfig(), Map.of());
        assertEquals(Path.of("/var/lib/omendb/data"), c.database().dataDir());
        assertEquals(3000, c.http().port());
        assertEquals(9090, c.monitoring().metricsPort());
    }

    @Test
    void listsExactlyTheDocumentedKeys() throws Exception {
        Set<String> documented = documentedKeys(Files.readString(DistPaths.root().resolve("docs/CONFIG.md")));
        Set<String> shipped = shippedKeys(TOML.readTree(DistPaths.shippedConfig().toFile()));
        assertFalse(documented.isEmpty(), "no keys parsed from docs/CONFIG.md");
        Set<String> undocumented = new TreeSet<>(shipped);
        undocumented.removeAll(documented);
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(shipped);
        assertEquals(Set.of(), undocumented, "keys in conf/omendb.toml that docs/CONFIG.md does not document");
        assertEquals(Set.of(), missing, "documented keys missing from conf/omendb.toml");
    }

    /** Each key alone, parsed by the loader, gives the built-in defaults unless it is a named override. */
    @Test
    void shipsTheProductDefaultsExceptNamedOverrides() throws Exception {
        JsonNode root = TOML.readTree(DistPaths.shippedConfig().toFile());
        OmenConfig defaults = ConfigLoader.defaults();
        root.fields().forEachRemaining(section -> {
            if (section.getKey().equals(DEPLOYMENT_SECTION)) {
                return;
            }
            section.getValue().fields().forEachRemaining(key -> {
                String name = section.getKey() + "." + key.getKey();
                ObjectNode single = TOML.createObjectNode();
                single.putObject(section.getKey()).set(key.getKey(), key.getValue());
                OmenConfig parsed;
                try {
                    parsed = ConfigLoader.parse(TOML.writeValueAsString(single), Map.of());
                } catch (Exception e) {
                    throw new AssertionError(name + ": " + e.getMessage(), e);
                }
                if (PRODUCTION_OVERRIDES.containsKey(name)) {
                    assertNotEquals(defaults, parsed, name + " is listed as an override but equals the default");
                } else {
                    assertEquals(defaults, parsed, name + " = " + key.getValue() + " is not the product default");
                }
            });
        });
    }

    /** {@code section.key} of every row of the per-section tables of docs/CONFIG.md. */
    static Set<String> documentedKeys(String configMd) {
        Set<String> keys = new TreeSet<>();
        Pattern heading = Pattern.compile("^## \\[(\\w+)]");
        Pattern row = Pattern.compile("^\\| `(\\[\\[)?([a-z_.]+)(]])?` \\|");
        String section = null;
        for (String line : configMd.split("\n")) {
            Matcher h = heading.matcher(line);
            if (h.find()) {
                section = h.group(1);
                continue;
            }
            Matcher r = row.matcher(line);
            if (section != null && r.find()) {
                String key = r.group(2);
                keys.add(key.startsWith(section + ".") ? key : section + "." + key);
            }
        }
        return keys;
    }

    static Set<String> shippedKeys(JsonNode root) {
        Set<String> keys = new TreeSet<>();
        root.fields().forEachRemaining(s -> s.getValue().fieldNames().forEachRemaining(k -> keys.add(s.getKey() + "." + k)));
        return keys;
    }
}
