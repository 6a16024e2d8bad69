package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.config.OmenConfig.Monitoring.AccessLogMode;
import io.omendb.config.OmenConfig.Monitoring.LogFormat;
import io.omendb.config.OmenConfig.Monitoring.Logs;
import io.omendb.router.http.AccessLog;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The program's log configuration ({@link Logging}) on a context of its own, writing into memory: in JSON mode
 * every line is one JSON object with the encoder's fields and the access log's key-value pairs as real fields;
 * the Ratis defaults at info; per-logger levels; the text format.
 */
class LoggingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggerContext context = new LoggerContext();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LoggingTest() {
        context.setMDCAdapter(new LogbackMDCAdapter()); // a context of our own needs one, as SLF4J gives its own
    }

    private void configure(String rootLevel, Logs logs) {
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setOutputStream(out);
        Logging.configure(context, rootLevel, logs, appender);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private List<String> lines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private List<JsonNode> jsonLines() throws Exception {
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : lines()) {
            JsonNode n = JSON.readTree(line);
            assertTrue(n.isObject(), line);
            for (String field : List.of("@timestamp", "level", "logger_name", "thread_name", "message")) {
                assertTrue(n.hasNonNull(field), field + " in " + line);
            }
            parsed.add(n);
        }
        return parsed;
    }

    private static Logs logs(LogFormat format, Map<String, String> levels) {
        return new Logs(format, levels, AccessLogMode.ALL, 0, 100);
    }

    @Test
    void jsonModeWritesOneObjectPerLineWithTheAccessLogsFieldsAsJsonFields() throws Exception {
        configure("info", logs(LogFormat.JSON, Map.of()));
        context.getLogger("io.omendb.raft.OmenNode").info("node n1 started");
        AccessLog.loggerSink(context.getLogger(AccessLog.LOGGER_NAME)).write(new AccessLog.Entry("PUT",
                "/v1/kv/{key}", 201, 12_345_678, "alice", "req-1"));
        AccessLog.loggerSink(context.getLogger(AccessLog.LOGGER_NAME)).write(new AccessLog.Entry("GET",
                "/health", 200, 1_000, null, "req-2"));
        context.getLogger("io.omendb.router").error("failed \"quoted\"\nsecond line",
                new IllegalStateException("boom"));

        List<JsonNode> lines = jsonLines();
        assertEquals(4, lines.size(), String.join("\n", lines()));
        assertEquals("node n1 started", lines.get(0).get("message").asText());
        assertEquals("INFO", lines.get(0).get("level").asText());

        JsonNode access = lines.get(1);
        assertEquals(AccessLog.LOGGER_NAME, access.get("logger_name").asText());
        assertEquals("PUT", access.get("method").asText());
        assertEquals("/v1/kv/{key}", access.get("path").asText());
        assertTrue(access.get("status").isInt(), "status is a JSON number");
        assertEquals(201, access.get("status").asInt());
        assertTrue(access.get("duration_ms").isNumber());
        assertEquals(12.346, access.get("duration_ms").asDouble());
        assertEquals("alice", access.get("user").asText());
        assertEquals("req-1", access.get("request_id").asText());
        assertFalse(lines.get(2).has("user"), "no user when none is known");

        JsonNode error = lines.get(3);
        assertEquals("failed \"quoted\"\nsecond line", error.get("message").asText());
        assertTrue(error.get("stack_trace").asText().contains("IllegalStateException: boom"));
    }

    @Test
    void atInfoRatisSaysOnlyWarningsAndTheClientsRetriesAndGroupProbesAreSilent() throws Exception {
        configure("info", logs(LogFormat.JSON, Map.of()));
        context.getLogger("org.apache.ratis.server.RaftServer").info("election");
        context.getLogger("org.apache.ratis.server.RaftServer").warn("slow follower");
        context.getLogger(Logging.RATIS_ORDERED_ASYNC).error("retry after NotLeader");
        context.getLogger(Logging.RATIS_ADMIN_SERVICE).warn("Failed to groupInfo: group not found");
        context.getLogger(Logging.RATIS_ADMIN_SERVICE).error("admin service failed");
        context.getLogger("io.omendb.router").debug("hidden at info");
        assertEquals(List.of("slow follower", "admin service failed"), jsonLines().stream().map(n -> n.get("message").asText()).toList());
    }

    @Test
    void perLoggerLevelsApplyAfterTheDefaults() throws Exception {
        configure("info", logs(LogFormat.JSON, Map.of("io.omendb.router", "debug", "org.apache.ratis", "info",
                AccessLog.LOGGER_NAME, "off")));
        context.getLogger("io.omendb.router.http.X").debug("router debug");
        context.getLogger("io.omendb.raft.Y").debug("raft debug stays hidden");
        context.getLogger("org.apache.ratis.server.RaftServer").info("election");
        context.getLogger(AccessLog.LOGGER_NAME).info("silenced");
        assertEquals(List.of("router debug", "election"),
                jsonLines().stream().map(n -> n.get("message").asText()).toList());
    }

    @Test
    void atDebugRatisIsNotHeldBack() throws Exception {
        configure("debug", logs(LogFormat.JSON, Map.of()));
        context.getLogger("org.apache.ratis.server.RaftServer").info("election");
        assertEquals(1, jsonLines().size());
    }

    @Test
    void textModeWritesTheKeyValuePairsAfterTheMessage() {
        configure("info", logs(LogFormat.TEXT, Map.of()));
        context.getLogger("io.omendb.raft.OmenNode").info("node n1 started");
        AccessLog.loggerSink(context.getLogger(AccessLog.LOGGER_NAME)).write(new AccessLog.Entry("GET",
                "/v1/scan", 200, 2_000_000, null, "req-9"));
        List<String> lines = lines();
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* \\[.*] INFO  "
                + "io\\.omendb\\.raft\\.OmenNode - node n1 started"), lines.get(0));
        assertTrue(lines.get(1).endsWith("omendb.access - GET /v1/scan 200 2.0 ms method=\"GET\" path=\"/v1/scan\" "
                + "status=\"200\" duration_ms=\"2.0\" request_id=\"req-9\""), lines.get(1));
    }
}
