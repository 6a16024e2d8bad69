package io.omendb.router.http;

import io.netty.handler.codec.http.HttpMethod;
import io.omendb.router.backend.BackupCheckpointStore;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /admin/backup/*}: what {@code bin/omendb backup} uses to copy a running cluster (docs/BACKUP.md).
 * <ul>
 *   <li>{@code POST /admin/backup/checkpoint?id=ID}: checkpoint every range through its Raft log; answers each
 *       range's id, bounds (hex), group, checkpoint index, leader and peers, and every node's HTTP address.</li>
 *   <li>{@code GET /admin/backup/files?id=ID&range=N}: the checkpoint of range N kept on this process's nodes,
 *       with each file's size and SHA-256; 404 {@code checkpoint_not_here} when no local node holds it.</li>
 *   <li>{@code GET /admin/backup/file?id=ID&range=N&name=F&offset=O}: up to
 *       {@link BackupCheckpointStore#CHUNK_BYTES_MAX} bytes of one listed file from offset O (octets).</li>
 *   <li>{@code DELETE /admin/backup/checkpoint?id=ID}: drop this process's checkpoints of ID (frees the links).</li>
 * </ul>
 * Admin routes: when authentication is on they need the admin role like every {@code /admin} route.
 */
public final class BackupEndpoints {
    static final String ID = "id";
    static final String RANGE = "range";
    static final String NAME = "name";
    static final String OFFSET = "offset";

    private final BackupCheckpointStore store;

    public BackupEndpoints(BackupCheckpointStore store) {
        this.store = store;
    }

    List<Route> routes() {
        return List.of(
                new Route(HttpMethod.POST, "/admin/backup/checkpoint", false, Set.of(ID), Route.Kind.ADMIN,
                        this::checkpoint),
                new Route(HttpMethod.DELETE, "/admin/backup/checkpoint", false, Set.of(ID), Route.Kind.ADMIN,
                        this::release),
                new Route(HttpMethod.GET, "/admin/backup/files", false, Set.of(ID, RANGE), Route.Kind.ADMIN,
                        this::files),
                new Route(HttpMethod.GET, "/admin/backup/file", false, Set.of(ID, RANGE, NAME, OFFSET),
                        Route.Kind.ADMIN, this::file));
    }

    CompletableFuture<ApiResponse> checkpoint(ApiRequest request) {
        return store.checkpointAll(backupId(request)).thenApply(cps -> {
            HexFormat hex = HexFormat.of();
            List<Map<String, Object>> ranges = new ArrayList<>();
            for (BackupCheckpointStore.RangeCheckpoint r : cps.ranges()) {
                ranges.add(Json.object("id", r.rangeId(), "start", hex.formatHex(r.start()),
                        "end", r.endOrNull() == null ? null : hex.formatHex(r.endOrNull()), "group", r.groupId(),
                        "index", r.index(), "leader", r.leaderOrNull(), "peers", r.peers()));
            }
            return Json.response(200, Json.object("database", cps.database(), "ranges", ranges,
                    "nodes", cps.nodeHttpAddresses()));
        });
    }

    CompletableFuture<ApiResponse> release(ApiRequest request) {
        return store.release(backupId(request)).thenApply(n -> Json.response(200, Json.object("released", n)));
    }

    CompletableFuture<ApiResponse> files(ApiRequest request) {
        String id = backupId(request);
        long range = nonNegative(request, RANGE);
        return store.localCheckpoint(id, range).thenApply(found -> {
            BackupCheckpointStore.LocalCheckpoint c = orNotHere(found, id, range);
            List<Map<String, Object>> files = new ArrayList<>();
            for (BackupCheckpointStore.CheckpointFile f : c.files()) {
                files.add(Json.object("name", f.name(), "size", f.sizeBytes(), "sha256", f.sha256()));
            }
            return Json.response(200, Json.object("node", c.location(), "range", range, "term", c.term(),
                    "index", c.index(), "engine_index", c.engineIndex(), "files", files));
        });
    }

    CompletableFuture<ApiResponse> file(ApiRequest request) {
        String id = backupId(request);
        long range = nonNegative(request, RANGE);
        String name = required(request, NAME);
        long offset = request.query().textOrNull(OFFSET) == null ? 0 : nonNegative(request, OFFSET);
        return store.readChunk(id, range, name, offset, BackupCheckpointStore.CHUNK_BYTES_MAX).thenApply(found ->
                new ApiResponse(200, ApiResponse.OCTETS, orNotHere(found, id, range), Map.of()));
    }

    private static <T> T orNotHere(Optional<T> found, String id, long range) {
        return found.orElseThrow(() -> ApiError.of(404, "checkpoint_not_here", "no node of this process holds "
                + "backup checkpoint '" + id + "' of range " + range + " (or no such file in it); ask the range's "
                + "leader or another peer").asException());
    }

    private static String backupId(ApiRequest request) {
        String id = required(request, ID);
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            throw ApiError.badRequest("bad_backup_id", "id must be 1-100 of [A-Za-z0-9._-] starting with a letter "
                    + "or digit, got '" + id + "'").asException();
        }
        return id;
    }

    private static String required(ApiRequest request, String param) {
        String v = request.query().textOrNull(param);
        if (v == null || v.isEmpty()) {
            throw ApiError.badRequest("missing_" + param, "query parameter '" + param + "' is required")
                    .asException();
        }
        return v;
    }

    private static long nonNegative(ApiRequest request, String param) {
        String raw = required(request, param);
        try {
            long v = Long.parseLong(raw);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // falls through to the 400 below
        }
        throw ApiError.badRequest("bad_" + param, param + " must be a non-negative integer, got '" + raw + "'")
                .asException();
    }
}
