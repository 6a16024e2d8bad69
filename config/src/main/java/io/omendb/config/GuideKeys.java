package io.omendb.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The keys of the operations guide's example {@code omendb.toml} that this product names differently or has no use
 * for, handled before the sections are read so that the guide's file starts and says what each key became:
 * <ul>
 *   <li>an {@link Alias} is moved to the key this product reads (an INFO notice says so); errors in its value
 *       name the key as written. Setting both names is refused, naming both.</li>
 *   <li>an {@link Ignored} key is checked for its type and range, then dropped with a WARN notice saying why it
 *       has no meaning here and what to write instead.</li>
 *   <li>{@code [wal] enabled}: {@code true} is what this product always does; {@code false} is refused.</li>
 * </ul>
 * docs/CONFIG.md ("Keys from the operations guide") lists the same choices. Used once, while loading; stateless.
 */
final class GuideKeys {
    /** {@code [section] key} of the guide, read as {@code [targetSection] targetKey}. */
    record Alias(String section, String key, String targetSection, String targetKey) {
        String qualified() {
            return section + "." + key;
        }

        String target() {
            return targetSection + "." + targetKey;
        }
    }

    /** A guide key with no meaning here, still checked: a boolean, or an integer of at least {@code min}. */
    record Ignored(String section, String key, boolean isBoolean, long min, String why) {
        static Ignored integer(String section, String key, long min, String why) {
            return new Ignored(section, key, false, min, why);
        }

        static Ignored bool(String section, String key, String why) {
            return new Ignored(section, key, true, 0, why);
        }

        String qualified() {
            return section + "." + key;
        }
    }

    static final List<Alias> ALIASES = List.of(
            new Alias("database", "max_memory_mb", "limits", "memory_limit_mb"),
            new Alias("http", "host", "http", "bind_address"),
            new Alias("http", "request_timeout_ms", "limits", "max_query_duration_ms"),
            new Alias("http", "max_concurrent_requests", "performance", "max_concurrent_requests"),
            new Alias("limits", "max_connections", "http", "max_connections"),
            new Alias("monitoring", "prometheus_enabled", "monitoring", "metrics_enabled"),
            new Alias("monitoring", "prometheus_port", "monitoring", "metrics_port"),
            new Alias("monitoring", "log_level", "database", "log_level"));

    static final List<Ignored> IGNORED = List.of(
            Ignored.integer("database", "expected_size", 0, "the engine needs no sizing hint: memtables and "
                    + "segment files grow with the data; to spread a known key space over several ranges from the "
                    + "start, write [cluster] initial_split_points"),
            Ignored.integer("storage", "batch_size", 1, "writes are batched per Raft entry by group commit "
                    + "([performance] group_commit_writes_max), and a client's batch is bounded by "
                    + "[limits] max_insert_batch_size"),
            Ignored.integer("storage", "sync_interval_ms", 0, "there is no timed sync: the Raft log (the write-ahead "
                    + "log) is fsynced on a quorum before every write is acknowledged ([wal] sync_on_write = true); "
                    + "to trade that for latency, write [wal] sync_on_write = false"),
            Ignored.integer("wal", "rotation_interval_hours", 0, "Raft log segments roll by size "
                    + "([wal] segment_size_mb) and closed segments are deleted after each snapshot "
                    + "([wal] snapshot_threshold_entries), not by age"),
            Ignored.integer("monitoring", "health_check_interval_ms", 0, "/health and /ready are evaluated on each "
                    + "request (set the probe's period in the orchestrator), and a failed peer is detected by Raft "
                    + "heartbeats ([performance] election_timeout_min_ms)"),
            Ignored.bool("performance", "enable_simd", "the JVM has no SIMD switch: its JIT compiler vectorises "
                    + "hot loops on its own; delete the key"),
            Ignored.integer("performance", "prefetch_size", 0, "reads fetch whole engine blocks, and scans page "
                    + "through the ranges in key order up to [limits] max_scan_limit entries per page"));

    static final String WAL_ENABLED = "enabled";
    static final String WAL_ENABLED_REFUSAL = "cannot be false: the Raft log is the write-ahead log, and a "
            + "replicated store cannot acknowledge a write it has not logged on a quorum; delete the key (to "
            + "acknowledge before the log is fsynced, which can lose the last writes if a quorum crashes at once, "
            + "write [wal] sync_on_write = false)";

    private GuideKeys() {
    }

    /**
     * Rewrites {@code root} in place: aliases moved to their target keys, ignored keys and {@code [wal] enabled}
     * removed. Returns, for each moved key, its target ({@code limits.memory_limit_mb}) mapped to the name the file
     * wrote ({@code database.max_memory_mb}), so that errors in its value name what the operator wrote.
     */
    static Map<String, String> apply(ObjectNode root, Consumer<ConfigNotice> notices) {
        Map<String, String> writtenAs = new HashMap<>();
        for (Alias a : ALIASES) {
            ObjectNode from = table(root, a.section());
            if (from == null || !from.has(a.key())) {
                continue;
            }
            ObjectNode to = table(root, a.targetSection());
            if (to == null) {
                if (root.has(a.targetSection())) {
                    continue; // not a table: its reader refuses it, naming the section
                }
                to = root.putObject(a.targetSection());
            }
            if (to.has(a.targetKey())) {
                throw new ConfigException(a.qualified(), "both " + a.qualified() + " and " + a.target()
                        + " are set: " + a.qualified() + " is the operations guide's name for " + a.target()
                        + "; keep only " + a.target());
            }
            to.set(a.targetKey(), from.remove(a.key()));
            writtenAs.put(a.target(), a.qualified());
            notices.accept(new ConfigNotice(ConfigNotice.Severity.INFO, a.qualified(),
                    "read as " + a.target() + " (the operations guide's name for it)"));
        }
        for (Ignored i : IGNORED) {
            ObjectNode t = table(root, i.section());
            if (t == null || !t.has(i.key())) {
                continue;
            }
            TomlSection check = new TomlSection(i.section(), t);
            if (i.isBoolean()) {
                check.bool(i.key(), false);
            } else {
                check.longIn(i.key(), i.min(), i.min(), Long.MAX_VALUE);
            }
            t.remove(i.key());
            notices.accept(new ConfigNotice(ConfigNotice.Severity.WARN, i.qualified(), "ignored: " + i.why()));
        }
        walEnabled(root, notices);
        return writtenAs;
    }

    private static void walEnabled(ObjectNode root, Consumer<ConfigNotice> notices) {
        ObjectNode wal = table(root, "wal");
        if (wal == null || !wal.has(WAL_ENABLED)) {
            return;
        }
        if (!new TomlSection("wal", wal).bool(WAL_ENABLED, true)) {
            throw new ConfigException("wal." + WAL_ENABLED, WAL_ENABLED_REFUSAL);
        }
        wal.remove(WAL_ENABLED);
        notices.accept(new ConfigNotice(ConfigNotice.Severity.INFO, "wal." + WAL_ENABLED,
                "the Raft log is the write-ahead log: it is always on"));
    }

    /** The table {@code name} of {@code root}, or null if absent or not a table (the section reader refuses that). */
    private static ObjectNode table(ObjectNode root, String name) {
        JsonNode n = root.get(name);
        return n instanceof ObjectNode o ? o : null;
    }
}
