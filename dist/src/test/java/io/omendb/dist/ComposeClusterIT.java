package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/docker-compose.yml, run without Docker: every service becomes a process in its own network namespace
 * on a bridge with the compose file's subnet and addresses, started with the image's entrypoint and
 * environment (from docker/Dockerfile, image directory /opt/omendb = the unpacked tarball) overridden by the
 * service's command and environment, its volumes mapped to files and directories here. Then the cluster must
 * serve writes and linearizable reads through every node, each node's HEALTHCHECK command must pass, and the
 * Prometheus service (Debian's prometheus binary standing in for the prom/prometheus image) must scrape all three
 * nodes and load every alert of docs/alerts.yml. So the compose file cannot drift from what works.
 */
class ComposeClusterIT {
    /** What an image runs when the compose file gives only a command (the image's ENTRYPOINT). */
    private static final Map<String, List<String>> FOREIGN_IMAGE_ENTRYPOINTS = Map.of(
            "prom/prometheus", List.of("prometheus"));
    private static final String IMAGE_HOME = "/opt/omendb";
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Http http = new Http();

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void composeServicesRunAsProcessesAndServe() throws Exception {
        Path composeFile = DistPaths.docker().resolve("docker-compose.yml");
        JsonNode compose = new YAMLMapper().readTree(composeFile.toFile());
        DockerfileModel image = DockerfileModel.parse(DistPaths.docker().resolve("Dockerfile"));
        Path home = DistPaths.unpackTarball(Files.createDirectories(tmp.resolve("image")));

        JsonNode network = compose.get("networks").get("omendb");
        String subnet = network.get("ipam").get("config").get(0).get("subnet").asText();
        String gateway = subnet.substring(0, subnet.lastIndexOf('.')) + ".1";
        int prefix = Integer.parseInt(subnet.substring(subnet.indexOf('/') + 1));

        Map<String, JsonNode> services = new LinkedHashMap<>();
        compose.get("services").fields().forEachRemaining(e -> services.put(e.getKey(), e.getValue()));
        List<String> nodes = services.keySet().stream().filter(s -> s.startsWith("omendb-")).toList();
        assertEquals(List.of("omendb-1", "omendb-2", "omendb-3"), nodes);

        List<ServerProcess> running = new ArrayList<>();
        try (NetnsLab lab = new NetnsLab(gateway, prefix)) {
            for (Map.Entry<String, JsonNode> s : services.entrySet()) {
                lab.addHost(s.getKey(), s.getValue().get("networks").get("omendb").get("ipv4_address").asText());
            }
            lab.publishHosts();
            Map<String, OmenConfig> configs = new HashMap<>();
            Map<String, Map<String, String>> envs = new HashMap<>();
            for (Map.Entry<String, JsonNode> s : services.entrySet()) {
                String name = s.getKey();
                JsonNode svc = s.getValue();
                boolean ours = svc.has("build");
                ContainerFs fs = containerFs(name, svc, composeFile.getParent());
                List<String> command = new ArrayList<>();
                Map<String, String> env = new LinkedHashMap<>();
                if (ours) {
                    assertEquals("docker/Dockerfile", svc.get("build").get("dockerfile").asText());
                    fs.mount(IMAGE_HOME, home);
                    command.addAll(fs.mapAll(image.entrypoint()));
                    image.env().forEach((k, v) -> env.put(k, fs.mapValue(v)));
                } else {
                    command.addAll(FOREIGN_IMAGE_ENTRYPOINTS.get(svc.get("image").asText().split(":")[0]));
                }
                svc.path("command").forEach(a -> command.add(fs.mapValue(a.asText())));
                if (!ours) {
                    mapPrometheusRuleFiles(command, fs);
                }
                svc.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), fs.mapValue(e.getValue().asText())));
                if (ours) {
                    Path config = Path.of(command.get(command.indexOf("--config") + 1));
                    OmenConfig c = ConfigLoader.load(config, env);
                    configs.put(name, c);
                    envs.put(name, env);
                    assertPortsAgree(name, svc, c, image);
                    Files.createDirectories(c.database().dataDir());
                }
                running.add(ServerProcess.start(name, lab.inHost(name, command), env, tmp.resolve(name + ".log")));
            }
            ServerProcess[] all = running.toArray(ServerProcess[]::new);

            for (String n : nodes) {
                http.await200(url(lab, n, configs.get(n).http().port(), "/ready"), READY_WAIT, all);
            }
            servesReadsAndWritesThroughEveryNode(lab, nodes, configs);
            for (String n : nodes) {
                healthcheckPasses(lab, n, image, envs.get(n));
            }
            prometheusScrapesAndLoadsAlerts(lab, nodes.size(), all);

            for (ServerProcess p : running) {
                p.stop();
            }
        } finally {
            running.forEach(ServerProcess::close);
        }
    }

    private ContainerFs containerFs(String name, JsonNode svc, Path composeDir) throws Exception {
        ContainerFs fs = new ContainerFs(tmp.resolve("rootfs-" + name));
        for (JsonNode v : svc.path("volumes")) {
            String[] parts = v.asText().split(":");
            Path host = parts[0].startsWith(".") ? composeDir.resolve(parts[0]).normalize()
                    : Files.createDirectories(tmp.resolve("volumes").resolve(parts[0]));
            assertTrue(Files.exists(host), name + ": bind mount source missing: " + host);
            fs.mount(parts[1], host);
        }
        return fs;
    }

    /**
     * prometheus.yml names its rule files by container path; the process gets a copy of it whose
     * {@code rule_files} point at the mapped files (nothing else changes).
     */
    private void mapPrometheusRuleFiles(List<String> command, ContainerFs fs) throws Exception {
        String flag = "--config.file=";
        int i = command.stream().filter(a -> a.startsWith(flag)).map(command::indexOf).findFirst().orElseThrow();
        YAMLMapper yaml = new YAMLMapper();
        com.fasterxml.jackson.databind.node.ObjectNode config = (com.fasterxml.jackson.databind.node.ObjectNode)
                yaml.readTree(Path.of(command.get(i).substring(flag.length())).toFile());
        com.fasterxml.jackson.databind.node.ArrayNode rules = config.putArray("rule_files");
        List<String> original = new ArrayList<>();
        yaml.readTree(Path.of(command.get(i).substring(flag.length())).toFile()).get("rule_files")
                .forEach(r -> original.add(r.asText()));
        for (String r : original) {
            Path mapped = fs.map(r);
            assertTrue(Files.isRegularFile(mapped), "rule file " + r + " is not mounted");
            rules.add(mapped.toString());
        }
        Path copy = tmp.resolve("prometheus-mapped.yml");
        yaml.writeValue(copy.toFile(), config);
        command.set(i, flag + copy);
    }

    /** The compose file publishes the config's HTTP and metrics ports; the image exposes them and Raft's. */
    private static void assertPortsAgree(String name, JsonNode svc, OmenConfig c, DockerfileModel image) {
        Set<Integer> containerPorts = new TreeSet<>();
        svc.get("ports").forEach(p -> containerPorts.add(Integer.parseInt(p.asText().split(":")[1])));
        assertEquals(new TreeSet<>(Set.of(c.http().port(), c.monitoring().metricsPort())), containerPorts, name);
        int raftPort = Integer.parseInt(c.cluster().self().raftAddress().split(":")[1]);
        assertTrue(image.exposed().containsAll(List.of(c.http().port(), c.monitoring().metricsPort(), raftPort)),
                name + ": Dockerfile EXPOSE " + image.exposed() + " lacks a configured port");
        assertEquals(name, c.cluster().nodeId());
        assertEquals(name + ":" + raftPort, c.cluster().self().raftAddress(), "Raft peers are addressed by service name");
    }

    private void servesReadsAndWritesThroughEveryNode(NetnsLab lab, List<String> nodes, Map<String, OmenConfig> configs)
            throws Exception {
        for (int i = 0; i < nodes.size(); i++) {
            String writer = nodes.get(i);
            String key = "compose-" + writer;
            HttpResponse<String> put = http.send("PUT", url(lab, writer, configs.get(writer).http().port(),
                    "/v1/kv/" + key), "value-" + i);
            assertEquals(200, put.statusCode(), put.body());
            for (String reader : nodes) {
                HttpResponse<String> get = http.send("GET", url(lab, reader, configs.get(reader).http().port(),
                        "/v1/kv/" + key), null);
                assertEquals(200, get.statusCode(), reader + ": " + get.body());
                assertEquals("value-" + i, get.body(), reader);
            }
        }
        JsonNode ranges = JSON.readTree(http.send("GET", url(lab, nodes.get(0), configs.get(nodes.get(0)).http().port(),
                "/admin/ranges"), null).body()).get("ranges");
        assertEquals(4, ranges.size(), ranges.toString());
        ranges.forEach(r -> assertEquals(3, r.get("peers").size(), r.toString()));
    }

    /** The image's HEALTHCHECK command, run in the node's namespace with its environment. */
    private static void healthcheckPasses(NetnsLab lab, String node, DockerfileModel image, Map<String, String> env)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(lab.inHost(node, List.of("sh", "-c", image.healthcheckCommand())))
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "healthcheck hung");
        assertEquals(0, p.exitValue(), node + ": HEALTHCHECK failed: " + out);
    }

    private void prometheusScrapesAndLoadsAlerts(NetnsLab lab, int nodes, ServerProcess... all) throws Exception {
        String api = "http://" + lab.address("prometheus") + ":9090/api/v1/";
        Http.await(() -> upTargets(api) == nodes, SCRAPE_WAIT, "prometheus did not scrape " + nodes + " omendb targets",
                all);
        Set<String> loaded = new TreeSet<>();
        JsonNode groups = JSON.readTree(http.send("GET", api + "rules", null).body()).get("data").get("groups");
        groups.forEach(g -> g.get("rules").forEach(r -> loaded.add(r.get("name").asText())));
        Set<String> expected = new TreeSet<>();
        new YAMLMapper().readTree(DistPaths.root().resolve("docs/alerts.yml").toFile()).get("groups")
                .forEach(g -> g.get("rules").forEach(r -> expected.add(r.get("alert").asText())));
        assertEquals(expected, loaded);
    }

    private int upTargets(String api) throws InterruptedException {
        try {
            JsonNode targets = JSON.readTree(http.send("GET", api + "targets", null).body()).get("data")
                    .get("activeTargets");
            int up = 0;
            for (JsonNode t : targets) {
                if ("omendb".equals(t.get("labels").get("job").asText()) && "up".equals(t.get("health").asText())) {
                    up++;
                }
            }
            return up;
        } catch (java.io.IOException notYet) {
            return -1;
        }
    }

    private static String url(NetnsLab lab, String host, int port, String path) {
        return "http://" + lab.address(host) + ":" + port + path;
    }
}
