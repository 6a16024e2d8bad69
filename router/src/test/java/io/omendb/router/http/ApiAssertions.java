package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;

/** Checks shared by the API tests: every error is JSON with the expected status and code and a message. */
final class ApiAssertions {
    private ApiAssertions() {
    }

    static JsonNode assertError(HttpResponse<byte[]> response, int status, String code) {
        assertEquals(status, response.statusCode(), () -> "body: " + TestServer.text(response));
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        JsonNode body = TestServer.json(response);
        assertEquals(code, body.path("error").asText(), () -> "body: " + body);
        assertFalse(body.path("message").asText().isEmpty(), "message must say what to do");
        return body;
    }

    /** For raw-socket answers: status line and error code. */
    static void assertRawError(String answer, int status, String code) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        assertTrue(answer.contains("\"error\":\"" + code + "\""), answer);
    }
}
