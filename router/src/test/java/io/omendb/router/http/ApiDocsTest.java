package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.ConfigLoader;
import io.omendb.raft.PlacementMetrics;
import io.omendb.raft.ReplicaMetrics;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.router.backend.StorageFootprint;
import io.omendb.router.cluster.PlacementCollector;
import io.omendb.router.cluster.RaftReplicaCollector;
import io.omendb.router.metrics.RouterMetrics;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/API.md's error table and metrics table say what the router does, in both directions: every error code the
 * router's sources can answer with is a row (with its status), every row is a code the sources produce; every metric
 * the router's registry exports is a row, every row is exported.
 *
 * <p>Error codes are read from the sources ({@code src/main/java}): the router builds every error answer with
 * {@link ApiError} ({@code of(status, "code")}, {@code new ApiError(status, "code", ...)}, {@code badRequest},
 * {@code tooLarge}) or AuthGate's {@code unauthorized} (401). A call whose code is not a literal fails this test
 * unless it is one of {@link #COMPUTED_CODES}, listed with every code it can produce. Metrics are read from a
 * {@link RouterMetrics} wired as the router's service wires it, with one replica's Raft metrics (log archiving on).
 */
class ApiDocsTest {
    private static final Path API_MD = Path.of("..", "docs", "API.md");
    private static final Path SOURCES = Path.of("src", "main", "java");

    private static final Pattern LITERAL_WITH_STATUS =
            Pattern.compile("(?:ApiError\\.of|new ApiError)\\(\\s*(\\d{3})\\s*,\\s*\"([a-z0-9_]+)\"");
    private static final Map<String, Integer> FACTORY_STATUS = Map.of(
            "ApiError.badRequest(", 400, "ApiError.tooLarge(", 413, "unauthorized(", 401);
    private static final Pattern ERROR_CALL =
            Pattern.compile("ApiError\\.of\\(|new ApiError\\(|ApiError\\.badRequest\\(|ApiError\\.tooLarge\\(|unauthorized\\(");

    /** Calls whose code is not a literal (the factories themselves, and computed codes) and the codes they give. */
    private static final Map<String, List<String>> COMPUTED_CODES = Map.of(
            "new ApiError(status, code,", List.of(),
            "new ApiError(401, code,", List.of(),
            "unauthorized(String code,", List.of(),
            "ApiError.badRequest(\"missing_\" + param,", Stream.of(BackupEndpoints.ID, BackupEndpoints.RANGE,
                    BackupEndpoints.NAME, BackupEndpoints.OFFSET).map(p -> "missing_" + p).toList(),
            "ApiError.badRequest(\"bad_\" + param,", Stream.of(BackupEndpoints.RANGE, BackupEndpoints.OFFSET)
                    .map(p -> "bad_" + p).toList(),
            "ApiError.of(400, badChange,", List.of("bad_split", "bad_merge"));
    private static final Map<String, Integer> COMPUTED_STATUS = Map.of(
            "ApiError.badRequest(\"missing_\" + param,", 400, "ApiError.badRequest(\"bad_\" + param,", 400,
            "ApiError.of(400, badChange,", 400);

    @Test
    void theErrorTableListsExactlyTheCodesTheRouterAnswers() throws IOException {
        Set<String> documented = documentedErrors(Files.readString(API_MD));
        Set<String> produced = producedErrors();
        assertFalse(documented.isEmpty(), "no error rows parsed from docs/API.md");
        assertTrue(produced.size() > 30, "the source scan found the router's errors: " + produced);
        assertAll(
                () -> assertEquals(Set.of(), minus(produced, documented), "answered by the router, missing from docs/API.md"),
                () -> assertEquals(Set.of(), minus(documented, produced), "in docs/API.md, never answered by the router"));
    }

    @Test
    void theMetricsTableListsExactlyTheMetricsTheRouterExports() throws Exception {
        Set<String> documented = documentedMetrics(Files.readString(API_MD));
        Set<String> exported = exportedMetrics();
        Set<String> undocumented = new TreeSet<>();
        for (String name : exported) {
            if (!documented.contains(name) && documented.stream().noneMatch(d -> d.endsWith("*")
                    && name.startsWith(d.substring(0, d.length() - 1)))) {
                undocumented.add(name);
            }
        }
        Set<String> notExported = new TreeSet<>();
        for (String d : documented) {
            boolean found = d.endsWith("*") ? exported.stream().anyMatch(n -> n.startsWith(d.substring(0, d.length() - 1)))
                    : exported.contains(d);
            if (!found) {
                notExported.add(d);
            }
        }
        assertAll(() -> assertEquals(Set.of(), undocumented, "exported by the router, missing from docs/API.md"),
                () -> assertEquals(Set.of(), notExported, "in docs/API.md, not exported by the router"));
    }

    /** {@code "STATUS code"} of every row of the "Error codes" table; a row may list codes as {@code `a` / `b`}. */
    static Set<String> documentedErrors(String apiMd) {
        Set<String> out = new TreeSet<>();
        Pattern code = Pattern.compile("`([a-z0-9_]+)`");
        for (String row : tableRows(apiMd, "## Error codes")) {
            String[] cells = row.split("\\|");
            Matcher m = code.matcher(cells[2]);
            while (m.find()) {
                out.add(cells[1].trim() + " " + m.group(1));
            }
        }
        return out;
    }

    /** Metric names of the "Metrics" table's first column, without labels; {@code jvm_memory_*} stays a prefix. */
    static Set<String> documentedMetrics(String apiMd) {
        Set<String> out = new TreeSet<>();
        Pattern name = Pattern.compile("`([a-z_]+\\*?)(?:\\{[a-z,]+})?`");
        for (String row : tableRows(apiMd, "## Metrics")) {
            Matcher m = name.matcher(row.split("\\|")[1]);
            while (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** The data rows of the first table after the heading that starts with {@code heading}. */
    private static List<String> tableRows(String markdown, String heading) {
        List<String> rows = new ArrayList<>();
        boolean inSection = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("## ")) {
                inSection = line.startsWith(heading);
                continue;
            }
            if (inSection && line.startsWith("|") && !line.startsWith("| ---") && !line.startsWith("| status")
                    && !line.startsWith("| name")) {
                rows.add(line);
            } else if (inSection && !rows.isEmpty() && !line.startsWith("|")) {
                break;
            }
        }
        assertFalse(rows.isEmpty(), "no table under '" + heading + "' in docs/API.md");
        return rows;
    }

    /** {@code "STATUS code"} of every error answer built in the router's sources. */
    static Set<String> producedErrors() throws IOException {
        Set<String> out = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path f : files) {
            String src = Files.readString(f).replaceAll("\\s+", " ");
            Matcher call = ERROR_CALL.matcher(src);
            while (call.find()) {
                String at = src.substring(call.start(), Math.min(src.length(), call.start() + 120));
                out.addAll(codesOf(at, f));
            }
        }
        return out;
    }

    private static List<String> codesOf(String call, Path file) {
        Matcher literal = LITERAL_WITH_STATUS.matcher(call);
        if (literal.lookingAt()) {
            return List.of(literal.group(1) + " " + literal.group(2));
        }
        for (var factory : FACTORY_STATUS.entrySet()) {
            Matcher m = Pattern.compile(Pattern.quote(factory.getKey()) + "\\s*\"([a-z0-9_]+)\"\\s*,").matcher(call);
            if (m.lookingAt()) {
                return List.of(factory.getValue() + " " + m.group(1));
            }
        }
        for (var computed : COMPUTED_CODES.entrySet()) {
            if (call.startsWith(computed.getKey())) {
                int status = COMPUTED_STATUS.getOrDefault(computed.getKey(), 0);
                return computed.getValue().stream().map(c -> status + " " + c).toList();
            }
        }
        throw new AssertionError(file + ": an error whose code this test cannot read; use a literal code or list "
                + "the call in COMPUTED_CODES: " + call);
    }

    /** Metric family names the router's registry exports ({@code _total} for counters, none of the histogram's suffixes). */
    static Set<String> exportedMetrics() throws Exception {
        RouterMetrics metrics = new RouterMetrics(() -> new StorageFootprint(1, 2), 1L << 30);
        metrics.registerActiveConnections(() -> 3);
        metrics.registerCoalescing(() -> 1, () -> 2, () -> 3, () -> 4, () -> 5, () -> 6);
        metrics.registerRangeReroutes(() -> 7);
        metrics.registerAccessLogDropped(() -> 7);
        metrics.recordSearch(1_000_000, false);
        metrics.recordInsert(1_000_000, false);
        metrics.recordRefusal("too_many_requests");
        UUID meta = ClusterLayout.metaGroupId("omendb").getUuid();
        List<ReplicaMetrics> replicas = List.of(new ReplicaMetrics(meta, "n1", "LEADER", 3, 120, 118, 1, 0, 0, 0, 0, 0, 0,
                Optional.of(new ReplicaMetrics.Archive(100, 2, 0))));
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(ConfigLoader.defaults()))) {
            metrics.prometheusRegistry().register(new RaftReplicaCollector(() -> replicas, client, "omendb"));
            metrics.prometheusRegistry().register(new PlacementCollector(() -> List.of(
                    new PlacementMetrics("n1", 1, 1, 2))));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, metrics.prometheusRegistry().scrape());
            Set<String> names = new TreeSet<>();
            Set<String> histograms = new TreeSet<>();
            for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("# TYPE ") && line.endsWith(" histogram")) {
                    histograms.add(line.split(" ")[2]);
                } else if (!line.startsWith("#") && !line.isBlank()) {
                    names.add(line.split("[{ ]")[0]);
                }
            }
            Set<String> families = new TreeSet<>();
            for (String n : names) {
                families.add(histograms.stream().filter(h -> n.equals(h + "_bucket") || n.equals(h + "_sum")
                        || n.equals(h + "_count")).findFirst().orElse(n));
            }
            return families;
        }
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.removeAll(b);
        return out;
    }
}
