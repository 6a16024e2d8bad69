package io.omendb.router.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Strict JSON in and out. Request bodies must be one JSON object with no duplicate or unknown fields and no
 * trailing data; fields have exact types. Every failure is a 400 naming the field. Thread-safe (the mapper is
 * configured once and only read).
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An ordered JSON object from alternating names and values (values may be null). */
    public static Map<String, Object> object(Object... namesAndValues) {
        assert namesAndValues.length % 2 == 0 : "names and values must pair up";
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            out.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return out;
    }

    /** A 2xx JSON answer. */
    public static ApiResponse response(int status, Map<String, Object> body) {
        return ApiResponse.json(status, write(body));
    }

    /** The body as a JSON object whose field names are all in {@code allowedFields}. */
    public static JsonNode readObject(byte[] body, Set<String> allowedFields) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("bad_json", "body is not valid JSON: " + e.getOriginalMessage())
                    .asException();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return requireObject(node, "body", allowedFields);
    }

    public static JsonNode requireObject(JsonNode node, String what, Set<String> allowedFields) {
        if (node == null || !node.isObject()) {
            throw ApiError.badRequest("bad_json", what + " must be a JSON object").asException();
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowedFields.contains(name)) {
                throw ApiError.badRequest("unknown_field", what + " has unknown field '" + name + "'; allowed: "
                        + allowedFields).asException();
            }
        }
        return node;
    }

    /** Field {@code name} of {@code object}, which must be present and of {@code type}, or null if allowed. */
    public static JsonNode field(JsonNode object, String name, JsonNodeType type, boolean nullAllowed) {
        JsonNode value = object.get(name);
        if (value == null) {
            throw ApiError.badRequest("missing_field", "field '" + name + "' is required").asException();
        }
        if (value.isNull() && nullAllowed) {
            return value;
        }
        if (value.getNodeType() != type) {
            throw ApiError.badRequest("bad_field", "field '" + name + "' must be " + type.name().toLowerCase()
                    + (nullAllowed ? " or null" : "")).asException();
        }
        return value;
    }
}
