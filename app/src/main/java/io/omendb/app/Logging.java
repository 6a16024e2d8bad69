package io.omendb.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.omendb.config.OmenConfig;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The program's logging backend: Logback, configured from {@code database.log_level} and {@code [monitoring]}'s
 * log keys (docs/LOGGING.md). Libraries log through slf4j-api only; this class is the one place that knows the
 * backend.
 *
 * <p><b>What it sets up.</b> One appender on standard error (standard output stays the CLI's own messages: URLs,
 * the generated password). {@code text}: time stamp, thread, level, logger, message and the event's key-value
 * pairs ({@code key="value"}). {@code json}: one JSON object per line written by logstash-logback-encoder, the
 * key-value pairs as top-level fields. java.util.logging (gRPC inside Ratis) is bridged into the same appender.
 *
 * <p><b>Levels.</b> The root logger at {@code log_level}; at {@code info}, Ratis at {@code warn} (it logs every
 * election and segment roll at info; operators want OmenDB's own lines) and the Ratis client's
 * {@code OrderedAsync} off (it logs every retried request, NotLeader during elections, at ERROR; our futures report
 * the requests that finally fail, so those lines are noise), and Ratis' admin service at {@code error}: nodes ask
 * each other whether they run a group (membership probes, a split's first campaign waiting for the new group), and
 * Ratis logs every "not found" answer as a warning with a stack trace (about 140 per node in a 2 GiB growth run),
 * while the asking node handles the answer. Then every {@code log_levels} entry, so an operator can override the
 * defaults.
 *
 * <p><b>An operator's own configuration wins:</b> with {@code -Dlogback.configurationFile=...} (in
 * {@code JAVA_OPTS}) nothing here runs, so rolling files or {@code scan="true"} (levels changed at run time) are
 * Logback's own features.
 *
 * <p>{@link #configure} must run before anything logs that matters (lines before it use Logback's defaults) and
 * from one thread: it resets the whole context.
 */
final class Logging {
    /** The system property naming an operator's own Logback file ({@code ch.qos.logback.classic.ClassicConstants}). */
    static final String OWN_CONFIGURATION_PROPERTY = "logback.configurationFile";
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} [%thread] %-5level %logger - %msg"
            + "%replace( %kvp){'^ $', ''}%n%xThrowable";
    static final String RATIS = "org.apache.ratis";
    static final String RATIS_ORDERED_ASYNC = "org.apache.ratis.client.impl.OrderedAsync";
    static final String RATIS_ADMIN_SERVICE = "org.apache.ratis.grpc.server.GrpcAdminProtocolService";

    private Logging() {
    }

    /** Configures the process's logs on standard error, unless the operator named their own Logback file. */
    static void configure(String rootLevel, OmenConfig.Monitoring.Logs logs) {
        if (System.getProperty(OWN_CONFIGURATION_PROPERTY) != null) {
            return;
        }
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setTarget("System.err");
        configure((LoggerContext) LoggerFactory.getILoggerFactory(), rootLevel, logs, console);
    }

    /** Resets {@code context} to write every event through {@code appender} (not started yet) in the format chosen. */
    static void configure(LoggerContext context, String rootLevel, OmenConfig.Monitoring.Logs logs,
                          OutputStreamAppender<ILoggingEvent> appender) {
        context.reset();
        bridgeJavaUtilLogging(context);
        appender.setContext(context);
        appender.setName("omendb");
        appender.setEncoder(encoder(context, logs.format()));
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(rootLevel, Level.INFO));
        root.addAppender(appender);
        if (root.getLevel() == Level.INFO) {
            context.getLogger(RATIS).setLevel(Level.WARN);
            context.getLogger(RATIS_ORDERED_ASYNC).setLevel(Level.OFF);
            context.getLogger(RATIS_ADMIN_SERVICE).setLevel(Level.ERROR);
        }
        logs.levels().forEach((name, level) -> context.getLogger(name).setLevel(Level.toLevel(level)));
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, OmenConfig.Monitoring.LogFormat format) {
        if (format == OmenConfig.Monitoring.LogFormat.JSON) {
            LogstashEncoder json = new LogstashEncoder();
            json.setContext(context);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(context);
        text.setPattern(TEXT_PATTERN);
        text.start();
        return text;
    }

    /**
     * java.util.logging into SLF4J; the propagator copies Logback's levels onto JUL's loggers so disabled JUL
     * lines are dropped before they are built (the bridge alone would format every one of them).
     */
    private static void bridgeJavaUtilLogging(LoggerContext context) {
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        propagator.start();
        context.addListener(propagator);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}
