package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
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
 * service's command and environment, its volumes mapped to files and directories here; the TLS files an operator
 * makes with compose/make-certs.sh are made by that script into a temporary directory. Then the cluster (TLS on:
 * HTTPS API and metrics, mutual TLS between Raft peers) must serve writes and linearizable reads through every
 * node over HTTPS verified with the cluster CA, refuse plain HTTP on its API and metrics ports, pass each node's
 * HEALTHCHECK command and {@code bin/omendb-health --cacert} (and fail it without the CA), and the Prometheus
 * service (Debian's prometheus binary standing in for the prom/prometheus image) must scrape all three nodes over
 * HTTPS and load every alert of docs/alerts.yml. So the compose file cannot drift from what works.
 */
class ComposeClusterIT {
    /** What an image runs when the compose file gives only a command (the image's ENTRYPOINT). */
    private static final Map<String, List<String>> FOREIGN_IMAGE_ENTRYPOINTS = Map.of(
            "prom/prometheus", List.of("prometheus"));
    /** Images with no stand-in on this machine, and what checks their part of the compose file instead. */
    private static final Map<String, String> NOT_RUN_HERE = Map.of(
            "grafana/grafana", "no Grafana binary in Debian; DeploymentManifestsTest checks its provisioning and "
                    + "GrafanaDashboardIT evaluates every panel's query against a real Prometheus");
    private static final String IMAGE_HOME = "/opt/omendb";
    private static final Duration READY_WAIT = Duration.ofSeconds(120);
    private static final Duration SCRAPE_WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final Http http = new Http();
    /** HTTPS client trusting the cluster CA (set once the certificates are made). */
    private Http https;
    private Path tls;

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
        compose.get("services").fields().forEachRemaining(e -> {
            if (!NOT_RUN_HERE.containsKey(e.getValue().path("image").asText().split(":")[0])) {
                services.put(e.getKey(), e.getValue());
            }
        });
        tls = tmp.resolve("tls");
        Tools.Result certs = Tools.run(DistPaths.docker().resolve("compose/make-certs.sh").toString(), tls.toString());
        assertEquals(0, certs.exit(), certs.output());
        https = Http.trusting(tls.resolve("ca.pem"));
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
            Map<String, ContainerFs> filesystems = new HashMap<>();
            for (Map.Entry<String, JsonNode> s : services.entrySet()) {
                String name = s.getKey();
                JsonNode svc = s.getValue();
                boolean ours = svc.has("build");
                ContainerFs fs = containerFs(name, svc, composeFile.getParent());
                filesystems.put(name, fs);
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
                    mapPrometheusFiles(command, fs);
                }
                svc.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), fs.mapValue(e.getValue().asText())));
                if (ours) {
                    int configArg = command.indexOf("--config") + 1;
                    Path config = mapConfigPaths(name, Path.of(command.get(configArg)), fs);
                    command.set(configArg, config.toString());
                    OmenConfig c = ConfigLoader.load(config, env);
                    assertTrue(c.security().tlsEnabled(), name + ": TLS is the compose cluster's path");
                    configs.put(name, c);
                    envs.put(name, env);
                    assertPortsAgree(name, svc, c, image);
                    Files.createDirectories(c.database().dataDir());
                }
                running.add(ServerProcess.start(name, lab.inHost(name, command), env, tmp.resolve(name + ".log")));
            }
            ServerProcess[] all = running.toArray(ServerProcess[]::new);

            for (String n : nodes) {
                https.await200(url(lab, n, configs.get(n).http().port(), "/ready"), READY_WAIT, all);
            }
            servesReadsAndWritesThroughEveryNode(lab, nodes, configs);
            for (String n : nodes) {
                plainHttpIsRefused(lab, n, configs.get(n));
                healthcheckPasses(lab, n, image, envs.get(n), filesystems.get(n));
                healthCommandVerifiesTheCertificate(lab, n, configs.get(n), home);
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
            Path host = parts[0].startsWith(DistPaths.COMPOSE_TLS_SOURCE)
                    ? tls.resolve(parts[0].substring(DistPaths.COMPOSE_TLS_SOURCE.length()))
                    : parts[0].startsWith(".") ? composeDir.resolve(parts[0]).normalize()
                    : Files.createDirectories(tmp.resolve("volumes").resolve(parts[0]));
            assertTrue(Files.exists(host), name + ": bind mount source missing: " + host);
            fs.mount(parts[1], host);
        }
        return fs;
    }

    /**
     * The node config names files by container path (the TLS files); the process gets a copy of it where every
     * absolute path is mapped (nothing else changes).
     */
    private Path mapConfigPaths(String name, Path config, ContainerFs fs) throws Exception {
        TomlMapper toml = new TomlMapper();
        ObjectNode root = (ObjectNode) toml.readTree(config.toFile());
        root.fields().forEachRemaining(section -> {
            if (section.getValue() instanceof ObjectNode keys) {
                keys.fields().forEachRemaining(k -> {
                    if (k.getValue().isTextual() && k.getValue().asText().startsWith("/")) {
                        Path mapped = fs.map(k.getValue().asText());
                        assertTrue(Files.exists(mapped), name + ": " + section.getKey() + "." + k.getKey() + " "
                                + k.getValue().asText() + " is not mounted");
                        k.setValue(toml.getNodeFactory().textNode(mapped.toString()));
                    }
                });
            }
        });
        Path copy = tmp.resolve(name + "-mapped.toml");
        toml.writeValue(copy.toFile(), root);
        return copy;
    }

    /**
     * prometheus.yml names its rule files and the scrape jobs' CA files by container path; the process gets a copy
     * of it where these point at the mapped files (nothing else changes).
     */
    private void mapPrometheusFiles(List<String> command, ContainerFs fs) throws Exception {
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
        for (JsonNode job : config.get("scrape_configs")) {
            if (job.has("tls_config") && job.get("tls_config").has("ca_file")) {
                Path ca = fs.map(job.get("tls_config").get("ca_file").asText());
                assertTrue(Files.isRegularFile(ca), "CA file of job " + job.get("job_name") + " is not mounted");
                ((com.fasterxml.jackson.databind.node.ObjectNode) job.get("tls_config")).put("ca_file", ca.toString());
            }
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
            HttpResponse<String> put = https.send("PUT", url(lab, writer, configs.get(writer).http().port(),
                    "/v1/kv/" + key), "value-" + i);
            assertEquals(200, put.statusCode(), put.body());
            for (String reader : nodes) {
                HttpResponse<String> get = https.send("GET", url(lab, reader, configs.get(reader).http().port(),
                        "/v1/kv/" + key), null);
                assertEquals(200, get.statusCode(), reader + ": " + get.body());
                assertEquals("value-" + i, get.body(), reader);
            }
        }
        JsonNode ranges = JSON.readTree(https.send("GET", url(lab, nodes.get(0), configs.get(nodes.get(0)).http().port(),
                "/admin/ranges"), null).body()).get("ranges");
        assertEquals(4, ranges.size(), ranges.toString());
        ranges.forEach(r -> assertEquals(3, r.get("peers").size(), r.toString()));
    }

    /** TLS ports answer nothing to plain HTTP: the connection closes without an HTTP answer. */
    private void plainHttpIsRefused(NetnsLab lab, String node, OmenConfig c) throws InterruptedException {
        String address = lab.address(node);
        assertEquals(-1, http.status("http://" + address + ":" + c.http().port() + "/health"), node + ": API");
        assertEquals(-1, http.status("http://" + address + ":" + c.monitoring().metricsPort() + "/metrics"),
                node + ": metrics");
    }

    /**
     * The image's HEALTHCHECK command (its container paths mapped), run in the node's namespace with its
     * environment, where OMENDB_HEALTH_CACERT makes it speak HTTPS to 127.0.0.1.
     */
    private static void healthcheckPasses(NetnsLab lab, String node, DockerfileModel image, Map<String, String> env,
                                          ContainerFs fs) throws Exception {
        String command = String.join(" ", fs.mapAll(List.of(image.healthcheckCommand().split(" "))));
        Tools.Result r = Tools.run(lab.inHost(node, List.of("sh", "-c", command)), env, null);
        assertEquals(0, r.exit(), node + ": HEALTHCHECK failed: " + r.output());
        assertTrue(r.output().contains("https://127.0.0.1:"), node + ": HEALTHCHECK did not use TLS: " + r.output());
    }

    /**
     * {@code bin/omendb-health --cacert CA} from outside (all checks: health, ready, metrics over HTTPS) passes;
     * without the CA (the system's trust store) the certificate does not verify and the node counts as down.
     */
    private void healthCommandVerifiesTheCertificate(NetnsLab lab, String node, OmenConfig c, Path home)
            throws Exception {
        List<String> target = List.of(lab.address(node), Integer.toString(c.http().port()),
                Integer.toString(c.monitoring().metricsPort()));
        String script = home.resolve("bin/omendb-health").toString();
        List<String> withCa = new ArrayList<>(List.of(script, "--cacert", tls.resolve("ca.pem").toString()));
        withCa.addAll(target);
        Tools.Result ok = Tools.run(withCa, Map.of(), null);
        assertEquals(0, ok.exit(), node + ": " + ok.output());
        assertTrue(ok.output().contains("metrics https://"), ok.output());
        List<String> untrusted = new ArrayList<>(List.of(script, "--tls"));
        untrusted.addAll(target);
        Tools.Result refused = Tools.run(untrusted, Map.of(), null);
        assertEquals(1, refused.exit(), node + ": a certificate from an unknown CA must not pass: " + refused.output());
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

    /** A node's HTTPS URL by its compose address (which its certificate names). */
    private static String url(NetnsLab lab, String host, int port, String path) {
        return "https://" + lab.address(host) + ":" + port + path;
    }
}
