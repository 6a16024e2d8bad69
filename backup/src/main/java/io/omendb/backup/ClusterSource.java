package io.omendb.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A running cluster seen through the admin HTTP API of its routers (docs/BACKUP.md, "Admin endpoints"):
 * {@code POST /admin/backup/checkpoint} checkpoints every range through its Raft log; the node holding a range's
 * checkpoint lists its files ({@code GET /admin/backup/files}) and serves them in chunks of at most
 * {@link #CHUNK_BYTES_MAX} ({@code GET /admin/backup/file}); {@code DELETE /admin/backup/checkpoint} drops the
 * node-side hard links.
 *
 * <p>Which node to ask: the checkpoint answer names each range's leader and peers and every node's HTTP address;
 * the files are fetched from the leader's node, then the other peers, then the URL the tool was given (in
 * {@code local} mode every node is behind that one URL). Every request carries HTTP Basic credentials when given.
 * Not thread-safe.
 */
final class ClusterSource implements BackupSource {
    static final int CHUNK_BYTES_MAX = 4 << 20;
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ClusterSource(URI base, String user, String password) {
        this.base = base;
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String baseUrl() {
        return strip(base.toString());
    }

    @Override
    public Checkpoints checkpoint(String backupId) throws BackupException {
        JsonNode j = json(send(baseUrl(), "POST", "/admin/backup/checkpoint?id=" + enc(backupId)));
        List<RangeCheckpoint> ranges = new ArrayList<>();
        for (JsonNode r : j.path("ranges")) {
            List<String> peers = new ArrayList<>();
            r.path("peers").forEach(p -> peers.add(p.asText()));
            ranges.add(new RangeCheckpoint(r.path("id").asLong(), r.path("start").asText(),
                    r.path("end").isNull() ? null : r.path("end").asText(), r.path("group").asText(),
                    r.path("index").asLong(), r.path("leader").isNull() ? null : r.path("leader").asText(), peers));
        }
        Map<String, String> nodes = new LinkedHashMap<>();
        j.path("nodes").fields().forEachRemaining(e -> nodes.put(e.getKey(), e.getValue().asText()));
        return new Checkpoints(j.path("database").asText(), ranges, nodes);
    }

    /** The checkpoint files of one range, from the first candidate node that holds them. */
    @Override
    public RangeFiles files(String backupId, RangeCheckpoint r, Map<String, String> nodeHttp) throws BackupException {
        List<String> tried = new ArrayList<>();
        for (String url : candidates(r, nodeHttp)) {
            HttpResponse<byte[]> resp;
            try {
                resp = request(url, "GET", "/admin/backup/files?id=" + enc(backupId) + "&range=" + r.rangeId());
            } catch (BackupException e) {
                tried.add(url + ": " + e.getMessage());
                continue;
            }
            if (resp.statusCode() != 200) {
                tried.add(url + ": HTTP " + resp.statusCode());
                continue;
            }
            JsonNode j = json(resp);
            List<RemoteFile> files = new ArrayList<>();
            for (JsonNode f : j.path("files")) {
                files.add(new RemoteFile(f.path("name").asText(), f.path("size").asLong(), f.path("sha256").asText()));
            }
            return new RangeFiles(url, j.path("node").asText(), j.path("term").asLong(), j.path("index").asLong(),
                    j.path("engine_index").asLong(), files);
        }
        throw BackupException.failed("no node serves the checkpoint of range " + r.rangeId() + " (tried " + tried
                + "); are the nodes' http_address values reachable from here?");
    }

    /** Streams one file into {@code target}, checking its size and SHA-256 against the node's listing. */
    @Override
    public void download(String backupId, long rangeId, RangeFiles from, RemoteFile f, Path target)
            throws BackupException {
        MessageDigest sha = Checksums.sha256();
        long offset = 0;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            do {
                HttpResponse<byte[]> resp = ok(request(from.baseUrl(), "GET", "/admin/backup/file?id=" + enc(backupId)
                        + "&range=" + rangeId + "&name=" + enc(f.name()) + "&offset=" + offset));
                byte[] chunk = resp.body();
                if (chunk.length == 0 && offset < f.sizeBytes()) {
                    throw BackupException.failed(f.name() + " of range " + rangeId + " ended at " + offset
                            + " bytes, expected " + f.sizeBytes());
                }
                out.write(chunk);
                sha.update(chunk);
                offset += chunk.length;
            } while (offset < f.sizeBytes());
        } catch (IOException e) {
            throw BackupException.failed("cannot write " + target + ": " + e.getMessage()
                    + " (is the backup disk full?)");
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (offset != f.sizeBytes() || !got.equals(f.sha256())) {
            throw BackupException.failed(f.name() + " of range " + rangeId + " arrived damaged (" + offset + " bytes, "
                    + "sha256 " + got + "; expected " + f.sizeBytes() + " bytes, " + f.sha256() + ")");
        }
    }

    /** Drops the node-side checkpoint on every node we know; failures are reported, not thrown. */
    @Override
    public List<String> release(String backupId, Map<String, String> nodeHttp) {
        List<String> problems = new ArrayList<>();
        Set<String> urls = new LinkedHashSet<>();
        urls.add(baseUrl());
        nodeHttp.values().forEach(a -> urls.add(url(a)));
        for (String u : urls) {
            try {
                ok(request(u, "DELETE", "/admin/backup/checkpoint?id=" + enc(backupId)));
            } catch (BackupException e) {
                problems.add(u + ": " + e.getMessage());
            }
        }
        return problems;
    }

    private List<String> candidates(RangeCheckpoint r, Map<String, String> nodeHttp) {
        Set<String> out = new LinkedHashSet<>();
        if (r.leader() != null && nodeHttp.containsKey(r.leader())) {
            out.add(url(nodeHttp.get(r.leader())));
        }
        for (String p : r.peers()) {
            if (nodeHttp.containsKey(p)) {
                out.add(url(nodeHttp.get(p)));
            }
        }
        out.add(baseUrl());
        return new ArrayList<>(out);
    }

    private String url(String httpAddress) {
        return httpAddress.contains("://") ? strip(httpAddress) : base.getScheme() + "://" + httpAddress;
    }

    private HttpResponse<byte[]> send(String url, String method, String pathAndQuery) throws BackupException {
        return ok(request(url, method, pathAndQuery));
    }

    private HttpResponse<byte[]> ok(HttpResponse<byte[]> resp) throws BackupException {
        if (resp.statusCode() / 100 != 2) {
            String body = new String(resp.body(), StandardCharsets.UTF_8);
            String hint = resp.statusCode() == 401 || resp.statusCode() == 403
                    ? " (pass --user and --password-file of an admin user)" : "";
            throw BackupException.failed(resp.request().method() + " " + resp.uri() + " answered HTTP "
                    + resp.statusCode() + hint + ": " + body.substring(0, Math.min(body.length(), 500)));
        }
        return resp;
    }

    private HttpResponse<byte[]> request(String url, String method, String pathAndQuery) throws BackupException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + pathAndQuery)).timeout(REQUEST_TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw BackupException.failed("cannot reach " + url + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackupException.failed("interrupted");
        }
    }

    private static JsonNode json(HttpResponse<byte[]> resp) throws BackupException {
        try (InputStream in = new java.io.ByteArrayInputStream(resp.body())) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw BackupException.failed(resp.uri() + " answered non-JSON: " + e.getMessage());
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
