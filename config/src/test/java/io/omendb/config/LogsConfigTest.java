package io.omendb.config;

import io.omendb.config.OmenConfig.Monitoring.AccessLogMode;
import io.omendb.config.OmenConfig.Monitoring.LogFormat;
import io.omendb.config.OmenConfig.Monitoring.Logs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code [monitoring]}'s log keys: log_format, log_levels, access_log and its limits, OMENDB_LOG_FORMAT. */
class LogsConfigTest {

    @Test
    void defaultsAreTextAndASlowRequestLog() {
        Logs logs = ConfigLoader.defaults().monitoring().logs();
        assertEquals(Logs.DEFAULTS, logs);
        assertEquals(LogFormat.TEXT, logs.format());
        assertEquals(Map.of(), logs.levels());
        assertEquals(AccessLogMode.SLOW, logs.accessLog());
        assertEquals(500, logs.slowRequestMs());
        assertEquals(100, logs.accessLogLinesPerSecondMax());
    }

    @Test
    void everyKeyIsRead() {
        Logs logs = ConfigLoader.parse("""
                [monitoring]
                log_format = "json"
                log_levels = { "io.omendb.router" = "debug", "org.apache.ratis" = "off" }
                access_log = "all"
                slow_request_ms = 20
                access_log_lines_per_s_max = 7
                """, Map.of()).monitoring().logs();
        assertEquals(new Logs(LogFormat.JSON, Map.of("io.omendb.router", "debug", "org.apache.ratis", "off"),
                AccessLogMode.ALL, 20, 7), logs);
        assertEquals(List.of("io.omendb.router", "org.apache.ratis"), List.copyOf(logs.levels().keySet()),
                "file order");
    }

    @Test
    void levelsMayBeASubTable() {
        Logs logs = ConfigLoader.parse("""
                [monitoring.log_levels]
                "omendb.access" = "warn"
                """, Map.of()).monitoring().logs();
        assertEquals(Map.of("omendb.access", "warn"), logs.levels());
    }

    @Test
    void theEnvironmentChoosesTheFormat() {
        assertEquals(LogFormat.JSON, ConfigLoader.parse("[monitoring]\nlog_format = \"text\"",
                Map.of(ConfigLoader.ENV_LOG_FORMAT, "JSON")).monitoring().logs().format());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("", Map.of(ConfigLoader.ENV_LOG_FORMAT, "xml")));
        assertEquals("monitoring.log_format (OMENDB_LOG_FORMAT)", e.key());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("log_format = \"xml\"", "monitoring.log_format", "text, json"),
                Arguments.of("log_format = 1", "monitoring.log_format", "string"),
                Arguments.of("access_log = \"sometimes\"", "monitoring.access_log", "off, slow, all"),
                Arguments.of("slow_request_ms = -1", "monitoring.slow_request_ms", "[0, 3600000]"),
                Arguments.of("access_log_lines_per_s_max = 0", "monitoring.access_log_lines_per_s_max",
                        "[1, 1000000]"),
                Arguments.of("log_levels = \"debug\"", "monitoring.log_levels", "table"),
                Arguments.of("log_levels = { \"io.omendb\" = \"verbose\" }", "monitoring.log_levels.\"io.omendb\"",
                        "must be one of"),
                Arguments.of("log_levels = { \"io.omendb\" = 3 }", "monitoring.log_levels.\"io.omendb\"",
                        "must be a string"),
                // unquoted dots make nested tables: the message says to quote the name
                Arguments.of("log_levels = { io.omendb = \"debug\" }", "monitoring.log_levels.\"io\"",
                        "in quotes"),
                Arguments.of("log_levels = { \"io omendb\" = \"debug\" }", "monitoring.log_levels.\"io omendb\"",
                        "logger name"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void badValuesAreRefusedNamingTheKey(String line, String key, String hint) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("[monitoring]\n" + line, Map.of()));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(hint), e.getMessage());
    }
}
