package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/: the Dockerfile lints clean (dockerfile-utils) and matches the config; docker-compose.yml passes
 * {@code docker-compose config}, runs TLS with certificates (compose/make-certs.sh) that name every way a node is
 * reached, and provisions Grafana with its Prometheus and the dashboard; the Kubernetes manifests that
 * {@code deploy.sh ENV --render} produces for every overlay (TLS files from k8s/make-certs.sh) pass the Kubernetes
 * OpenAPI schema check (kubernetes-models) and agree with the omendb.toml in their ConfigMap (ports, TLS files and
 * certificates per pod, exec probes over HTTPS, paths, node ids from the pod ordinal, Raft addresses through the
 * headless service, no two replicas on one node). Each validator is also shown a broken input, so a validator that
 * checks nothing fails the test.
 */
class DeploymentManifestsTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String HEALTH_CACERT_ENV = "OMENDB_HEALTH_CACERT";
    private static final String HEALTH_COMMAND = "/opt/omendb/bin/omendb-health";
    private static final String GRAFANA_DASHBOARDS_SOURCE = "./grafana/dashboards";
    private static final String GRAFANA_PROVISIONING_TARGET = "/etc/grafana/provisioning";

    @TempDir
    Path tmp;

    @Test
    void dockerfileLintsCleanAndMatchesTheProduct() throws Exception {
        Path dockerfile = DistPaths.docker().resolve("Dockerfile");
        Path lint = Tools.nodeTools().resolve("node_modules/.bin/dockerfile-utils");
        Tools.Result clean = Tools.run(lint.toString(), "lint", dockerfile.toString());
        assertEquals(0, clean.exit(), clean.output());
        Path broken = tmp.resolve("Dockerfile");
        Files.writeString(broken, Files.readString(dockerfile).replace("HEALTHCHECK", "HEALTHCHEK"));
        assertNotEquals(0, Tools.run(lint.toString(), "lint", broken.toString()).exit(), "lint accepted a typo");

        DockerfileModel image = DockerfileModel.parse(dockerfile);
        assertEquals(2, image.stages(), "multi-stage: build, then runtime");
        assertEquals("omendb", image.user());
        assertEquals(List.of("/opt/omendb/bin/omendb"), image.entrypoint());
        assertEquals(List.of("node", "--config", "/etc/omendb/omendb.toml"), image.cmd());
        assertTrue(image.exposed().containsAll(List.of(3000, 9090, 7000)), image.exposed().toString());
        assertTrue(image.volumes().contains(image.env().get(ConfigLoader.ENV_DATA_DIR)), image.volumes().toString());
        assertTrue(image.volumes().contains("/var/lib/omendb/backups"), image.volumes().toString());
        // bin/omendb-health --live checks /health (over HTTPS verified against OMENDB_HEALTH_CACERT when set)
        assertTrue(image.healthcheckCommand().startsWith("/opt/omendb/bin/omendb-health --live 127.0.0.1 "),
                image.healthcheckCommand());
        assertTrue(image.env().containsKey(HEALTH_CACERT_ENV), image.env().toString());
        // the image's default config (the tarball's) with the image's environment
        OmenConfig c = ConfigLoader.load(DistPaths.shippedConfig(), image.env());
        assertEquals(Integer.parseInt(image.env().get(ConfigLoader.ENV_HTTP_PORT)), c.http().port());
        assertTrue(image.exposed().contains(c.monitoring().metricsPort()));
        assertTrue(image.exposed().contains(raftPort(c)));
    }

    @Test
    void composeFilePassesDockerComposeConfig() throws Exception {
        Path compose = DistPaths.docker().resolve("docker-compose.yml");
        Tools.Result ok = Tools.run("docker-compose", "-f", compose.toString(), "config", "-q");
        assertEquals(0, ok.exit(), ok.output());
        Path broken = DistPaths.docker().resolve("compose-broken-" + ProcessHandle.current().pid() + ".yml");
        try {
            Files.writeString(broken, Files.readString(compose).replaceFirst("    command:", "    comand:"));
            Tools.Result bad = Tools.run("docker-compose", "-f", broken.toString(), "config", "-q");
            assertNotEquals(0, bad.exit(), "docker-compose config accepted an unknown key");
        } finally {
            Files.deleteIfExists(broken);
        }
    }

    @Test
    void composeNodeConfigsDifferOnlyInNodeId() throws Exception {
        Path dir = DistPaths.docker().resolve("compose");
        String first = Files.readString(dir.resolve("omendb-1.toml")).replace("omendb-1.toml", "");
        for (int i = 1; i <= 3; i++) {
            String other = Files.readString(dir.resolve("omendb-" + i + ".toml"))
                    .replace("# Node omendb-" + i, "# Node omendb-1")
                    .replace("node_id = \"omendb-" + i + "\"", "node_id = \"omendb-1\"");
            assertEquals(first, other, "omendb-" + i + ".toml");
        }
    }

    /**
     * TLS is on in every compose node, and the certificates compose/make-certs.sh makes carry what each node needs:
     * mounted at the paths its config names, signed by the CA the nodes, the HEALTHCHECK and Prometheus trust,
     * naming its service (Raft host, Prometheus target), its address on the compose network and 127.0.0.1 (the
     * HEALTHCHECK's host).
     */
    @Test
    void composeRunsTlsWithCertificatesNamingEveryWayANodeIsReached() throws Exception {
        Path composeFile = DistPaths.docker().resolve("docker-compose.yml");
        JsonNode compose = YAML.readTree(composeFile.toFile());
        Path tls = tmp.resolve("tls");
        Tools.Result made = Tools.run(DistPaths.docker().resolve("compose/make-certs.sh").toString(), tls.toString());
        assertEquals(0, made.exit(), made.output());
        DockerfileModel image = DockerfileModel.parse(DistPaths.docker().resolve("Dockerfile"));
        String healthHost = image.healthcheckCommand().split("\\s+")[2];
        Set<String> caSources = new TreeSet<>();
        int nodes = 0;
        for (Map.Entry<String, JsonNode> s : fields(compose.get("services"))) {
            JsonNode svc = s.getValue();
            Map<String, String> mounts = bindMounts(svc);
            if (!svc.has("build")) {
                continue;
            }
            nodes++;
            Map<String, String> env = new HashMap<>(image.env());
            svc.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
            OmenConfig c = ConfigLoader.load(composeFile.getParent().resolve(mounts.get("/etc/omendb/omendb.toml")), env);
            OmenConfig.Security sec = c.security();
            assertTrue(sec.tlsEnabled(), s.getKey() + ": TLS is the compose cluster's path");
            assertEquals(sec.tlsCaFile(), env.get(HEALTH_CACERT_ENV), s.getKey() + ": the HEALTHCHECK trusts the CA");
            Path cert = generated(tls, mounts.get(sec.tlsCertFile()));
            assertTrue(Files.isRegularFile(generated(tls, mounts.get(sec.tlsKeyFile()))), s.getKey() + ": key");
            caSources.add(mounts.get(sec.tlsCaFile()));
            String raftHost = c.cluster().self().raftAddress().split(":")[0];
            String address = svc.get("networks").get("omendb").get("ipv4_address").asText();
            NodeCertificates.assertNodeCertificate(cert, generated(tls, mounts.get(sec.tlsCaFile())),
                    List.of(raftHost, address, healthHost));
        }
        assertEquals(3, nodes);
        JsonNode prometheus = compose.get("services").get("prometheus");
        JsonNode job = YAML.readTree(composeFile.getParent().resolve(bindMounts(prometheus)
                .get("/etc/prometheus/prometheus.yml")).toFile()).get("scrape_configs").get(0);
        assertEquals("https", job.get("scheme").asText(), "Prometheus scrapes over TLS");
        caSources.add(bindMounts(prometheus).get(job.get("tls_config").get("ca_file").asText()));
        assertEquals(1, caSources.size(), "nodes and Prometheus trust one CA: " + caSources);
    }

    /**
     * The compose Grafana is provisioned with a datasource pointing at the compose Prometheus service and with the
     * dashboard directory; every panel and query of the dashboard uses that datasource.
     */
    @Test
    void grafanaIsProvisionedWithTheComposePrometheusAndTheDashboard() throws Exception {
        Path composeFile = DistPaths.docker().resolve("docker-compose.yml");
        JsonNode services = YAML.readTree(composeFile.toFile()).get("services");
        Map<String, String> mounts = bindMounts(services.get("grafana"));
        Path provisioning = composeFile.getParent().resolve(mounts.get(GRAFANA_PROVISIONING_TARGET));
        JsonNode datasource = YAML.readTree(provisioning.resolve("datasources/prometheus.yml").toFile())
                .get("datasources").get(0);
        String listen = texts(services.get("prometheus").get("command")).stream()
                .filter(a -> a.startsWith("--web.listen-address=")).findFirst().orElseThrow();
        assertEquals("prometheus", datasource.get("type").asText());
        assertEquals("http://prometheus:" + listen.substring(listen.lastIndexOf(':') + 1), datasource.get("url").asText());
        JsonNode provider = YAML.readTree(provisioning.resolve("dashboards/omendb.yml").toFile()).get("providers").get(0);
        String dashboardsTarget = mounts.entrySet().stream().filter(e -> e.getValue().equals(GRAFANA_DASHBOARDS_SOURCE))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        assertEquals(dashboardsTarget, provider.get("options").get("path").asText());
        assertEquals(GrafanaDashboard.file(), composeFile.getParent().resolve(GRAFANA_DASHBOARDS_SOURCE)
                .resolve("omendb.json").normalize());

        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.file());
        String uid = datasource.get("uid").asText();
        assertTrue(dashboard.panels().size() >= 10, dashboard.panels().toString());
        for (GrafanaDashboard.Panel p : dashboard.panels()) {
            assertEquals(uid, p.datasourceUid(), p.title());
            assertFalse(p.queries().isEmpty(), p.title() + " has no query");
            p.queries().forEach(q -> assertEquals(uid, q.datasourceUid(), p.title() + " " + q.refId()));
            p.queries().forEach(q -> assertNotNull(q.expr(), p.title() + " " + q.refId()));
        }
    }

    @Test
    void renderedManifestsPassTheKubernetesSchemas() throws Exception {
        Path validator = Tools.nodeTools().resolve("validate-k8s.mjs");
        for (String env : List.of("dev", "prod")) {
            Path rendered = render(env);
            Tools.Result r = Tools.run(List.of("node", validator.toString(), rendered.toString()), Map.of(),
                    Tools.nodeTools());
            assertEquals(0, r.exit(), env + ":\n" + r.output());
            for (String kind : List.of("StatefulSet", "Service/omendb-peers", "Service/omendb", "ConfigMap",
                    "Secret/omendb-tls", "Secret/omendb-auth", "PodDisruptionBudget")) {
                assertTrue(r.output().contains(kind), env + " lacks " + kind + ":\n" + r.output());
            }
        }
        Path broken = tmp.resolve("broken.yaml");
        Files.writeString(broken, Files.readString(render("dev")).replace("replicas: 3", "replicas: three"));
        Tools.Result bad = Tools.run(List.of("node", validator.toString(), broken.toString()), Map.of(),
                Tools.nodeTools());
        assertNotEquals(0, bad.exit(), "schema check accepted replicas: three\n" + bad.output());
    }

    @Test
    void kubernetesManifestsAgreeWithTheirConfig() throws Exception {
        Map<String, JsonNode> docs = documents(render("dev"));
        JsonNode sts = docs.get("StatefulSet/omendb");
        JsonNode pod = sts.get("spec").get("template").get("spec");
        JsonNode container = pod.get("containers").get(0);
        JsonNode init = pod.get("initContainers").get(0);
        JsonNode configMap = docs.entrySet().stream().filter(e -> e.getKey().startsWith("ConfigMap/omendb-config"))
                .findFirst().orElseThrow().getValue();
        DockerfileModel image = DockerfileModel.parse(DistPaths.docker().resolve("Dockerfile"));
        int replicas = sts.get("spec").get("replicas").asInt();
        assertEquals(3, replicas);
        assertEquals("Parallel", sts.get("spec").get("podManagementPolicy").asText(), "pods need each other to be ready");

        Path template = tmp.resolve("template.toml");
        Files.writeString(template, configMap.get("data").get("omendb.toml").asText());
        Map<String, String> initEnv = envOf(init);
        List<String> args = texts(container.get("args"));
        String configPath = args.get(args.indexOf("--config") + 1);
        assertEquals(configPath, initEnv.get("CONFIG"), "init container writes the file the node reads");
        assertEquals(mountOf(init, "config-template") + "/omendb.toml", initEnv.get("TEMPLATE"));
        assertEquals(mountOf(init, "run"), Path.of(configPath).getParent().toString());
        assertEquals(mountOf(container, "run"), Path.of(configPath).getParent().toString());

        String headless = sts.get("spec").get("serviceName").asText();
        JsonNode peers = docs.get("Service/" + headless);
        assertEquals("None", peers.get("spec").get("clusterIP").asText());
        assertTrue(peers.get("spec").get("publishNotReadyAddresses").asBoolean(), "Raft peers must resolve before ready");

        Map<String, Integer> ports = new HashMap<>();
        container.get("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));
        JsonNode tlsSecret = docs.get("Secret/" + volume(pod, "tls").get("secret").get("secretName").asText());
        Path secretFiles = Files.createDirectories(tmp.resolve("secret-tls"));
        tlsSecret.get("data").fields().forEachRemaining(e -> write(secretFiles.resolve(e.getKey()),
                Base64.getDecoder().decode(e.getValue().asText())));
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            String podName = "omendb-" + ordinal;
            Path rendered = tmp.resolve(podName + ".toml");
            Map<String, String> env = new HashMap<>(initEnv);
            env.putAll(Map.of("POD_NAME", podName, "TEMPLATE", template.toString(), "CONFIG", rendered.toString()));
            List<String> command = texts(init.get("command"));
            Tools.Result r = Tools.run(command, env, null);
            assertEquals(0, r.exit(), r.output());
            Map<String, String> nodeEnv = new HashMap<>(image.env());
            nodeEnv.putAll(envOf(container));
            OmenConfig c = ConfigLoader.load(rendered, nodeEnv);
            assertEquals(podName, c.cluster().nodeId(), "node id from the pod ordinal");
            assertEquals(replicas, c.cluster().members().size());
            assertEquals(podName + "." + headless + ":" + ports.get("raft"), c.cluster().self().raftAddress());
            assertEquals(c.http().port(), ports.get("http"));
            assertEquals(c.monitoring().metricsPort(), ports.get("metrics"));
            assertEquals(c.database().dataDir().toString(), mountOf(container, "data"));
            assertEquals(Path.of(c.security().tlsCertFile()).getParent().toString(), mountOf(container, "tls"));
            assertEquals(Path.of(c.security().usersFile()).getParent().toString(), mountOf(container, "auth"));
            assertEquals(Path.of(c.security().rolesFile()).getParent().toString(), mountOf(container, "auth"));
            assertTrue(c.security().authEnabled(), "auth stays on in Kubernetes");
            assertTrue(c.security().tlsEnabled(), "TLS is on in Kubernetes");
            for (String f : List.of(c.security().tlsCertFile(), c.security().tlsKeyFile(), c.security().tlsCaFile())) {
                assertEquals(mountOf(container, "tls"), Path.of(f).getParent().toString(), f);
                assertTrue(Files.isRegularFile(secretFiles.resolve(Path.of(f).getFileName())), f + " is not in the Secret");
            }
            String readyHost = assertProbe(container.get("readinessProbe"), "--ready", c);
            String liveHost = assertProbe(container.get("livenessProbe"), "--live", c);
            NodeCertificates.assertNodeCertificate(secretFiles.resolve(Path.of(c.security().tlsCertFile()).getFileName()),
                    secretFiles.resolve(Path.of(c.security().tlsCaFile()).getFileName()),
                    List.of(podName + "." + headless, readyHost, liveHost));
        }
        assertEquals("/var/lib/omendb/backups", mountOf(container, "backups"));
        JsonNode tlsVolume = volume(pod, "tls");
        assertTrue(docs.containsKey("Secret/" + tlsVolume.get("secret").get("secretName").asText()));
        JsonNode authSecret = docs.get("Secret/" + volume(pod, "auth").get("secret").get("secretName").asText());
        assertTrue(authSecret.get("data").has("users.htpasswd") && authSecret.get("data").has("roles.txt"));
        assertEquals(configMap.get("metadata").get("name").asText(), volume(pod, "config-template").get("configMap")
                .get("name").asText());
        List<String> claims = new ArrayList<>();
        sts.get("spec").get("volumeClaimTemplates").forEach(v -> claims.add(v.get("metadata").get("name").asText()));
        assertEquals(List.of("data", "backups"), claims);

        JsonNode podLabels = sts.get("spec").get("template").get("metadata").get("labels");
        assertReplicasNeverShareANode(pod, podLabels);
        JsonNode pdb = docs.get("PodDisruptionBudget/omendb");
        assertEquals(1, pdb.get("spec").get("maxUnavailable").asInt());
        assertEquals(podLabels, pdb.get("spec").get("selector").get("matchLabels"));
        for (String svc : List.of("omendb", headless)) {
            JsonNode s = docs.get("Service/" + svc).get("spec");
            assertEquals(podLabels, s.get("selector"), svc);
            s.get("ports").forEach(p -> assertTrue(ports.containsKey(p.get("targetPort").asText()),
                    svc + " targets an unknown port " + p));
        }
    }

    /**
     * An exec probe running bin/omendb-health in {@code mode} over HTTPS verified with the config's CA, on the
     * config's HTTP port; returns the host it checks (which the pod's certificate must name).
     */
    private static String assertProbe(JsonNode probe, String mode, OmenConfig c) {
        List<String> command = texts(probe.get("exec").get("command"));
        assertEquals(HEALTH_COMMAND, command.get(0), command.toString());
        assertEquals(mode, command.get(1), command.toString());
        assertEquals(c.security().tlsCaFile(), command.get(command.indexOf("--cacert") + 1), command.toString());
        assertEquals(Integer.toString(c.http().port()), command.get(command.size() - 1), command.toString());
        assertTrue(probe.get("timeoutSeconds").asInt() > 0, "exec probes default to a 1 s timeout");
        return command.get(command.size() - 2);
    }

    /** Required anti-affinity on the host name, and a spread over zones, both selecting the pods' labels. */
    private static void assertReplicasNeverShareANode(JsonNode pod, JsonNode podLabels) {
        List<String> hostKeys = new ArrayList<>();
        pod.get("affinity").get("podAntiAffinity").get("requiredDuringSchedulingIgnoredDuringExecution").forEach(t -> {
            if (podLabels.equals(t.get("labelSelector").get("matchLabels"))) {
                hostKeys.add(t.get("topologyKey").asText());
            }
        });
        assertEquals(List.of("kubernetes.io/hostname"), hostKeys, "required anti-affinity on the node");
        List<String> spreadKeys = new ArrayList<>();
        pod.get("topologySpreadConstraints").forEach(t -> {
            if (podLabels.equals(t.get("labelSelector").get("matchLabels")) && t.get("maxSkew").asInt() == 1) {
                spreadKeys.add(t.get("topologyKey").asText());
            }
        });
        assertEquals(List.of("topology.kubernetes.io/zone"), spreadKeys, "spread over zones");
    }

    /** deploy.sh refuses TLS material that would not let the pods start or talk to each other. */
    @Test
    void deployRefusesTlsFilesThatDoNotFitThePods() throws Exception {
        Tools.Result none = Tools.run(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), "dev", "--render"),
                authFiles(), null);
        assertEquals(2, none.exit(), none.output());
        assertTrue(none.output().contains("OMENDB_TLS_DIR"), none.output());
        Path certs = k8sCertificates("omendb-dev");
        Files.copy(certs.resolve("omendb-2.pem"), certs.resolve("omendb-1.pem"), StandardCopyOption.REPLACE_EXISTING);
        Map<String, String> vars = authFiles();
        vars.put("OMENDB_TLS_DIR", certs.toString());
        Tools.Result swapped = Tools.run(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), "dev",
                "--render"), vars, null);
        assertEquals(2, swapped.exit(), swapped.output());
        assertTrue(swapped.output().contains("does not name omendb-1.omendb-peers"), swapped.output());
    }

    /** {@code deploy.sh ENV --render} with TLS files from {@code make-certs.sh} for the overlay's namespace. */
    private Path render(String env) throws Exception {
        Map<String, String> vars = authFiles();
        vars.put("OMENDB_TLS_DIR", k8sCertificates("omendb-" + env).toString());
        Tools.Result r = Tools.run(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), env, "--render"),
                vars, null);
        assertEquals(0, r.exit(), r.output());
        Path out = tmp.resolve(env + ".yaml");
        Files.writeString(out, r.output());
        return out;
    }

    private Map<String, String> authFiles() throws Exception {
        Path users = tmp.resolve("users.htpasswd");
        Path roles = tmp.resolve("roles.txt");
        Files.writeString(users, "admin:$2y$12$" + "x".repeat(53) + "\n");
        Files.writeString(roles, "admin:read,write,admin\n");
        return new HashMap<>(Map.of("OMENDB_USERS_FILE", users.toString(), "OMENDB_ROLES_FILE", roles.toString()));
    }

    /** {@code docker/k8s/make-certs.sh NAMESPACE DIR}, as the operations guide runs it before deploying. */
    private Path k8sCertificates(String namespace) throws Exception {
        Path dir = tmp.resolve("tls-" + namespace);
        Tools.Result made = Tools.run(DistPaths.docker().resolve("k8s/make-certs.sh").toString(), namespace,
                dir.toString());
        assertEquals(0, made.exit(), made.output());
        return dir;
    }

    /** Container path to source of a compose service's bind mounts (named volumes left out). */
    private static Map<String, String> bindMounts(JsonNode svc) {
        Map<String, String> mounts = new HashMap<>();
        svc.path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            if (parts[0].startsWith(".")) {
                mounts.put(parts[1], parts[0]);
            }
        });
        return mounts;
    }

    /** Where a compose bind mount of the generated TLS directory points, for files made into {@code tls}. */
    private static Path generated(Path tls, String composeSource) {
        assertTrue(composeSource != null && composeSource.startsWith(DistPaths.COMPOSE_TLS_SOURCE),
                composeSource + " is not in " + DistPaths.COMPOSE_TLS_SOURCE);
        return tls.resolve(composeSource.substring(DistPaths.COMPOSE_TLS_SOURCE.length()));
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode object) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        object.fields().forEachRemaining(out::add);
        return out;
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, JsonNode> documents(Path file) throws Exception {
        Map<String, JsonNode> docs = new HashMap<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                docs.put(d.get("kind").asText() + "/" + d.get("metadata").get("name").asText(), d);
            }
        }
        return docs;
    }

    private static Map<String, String> envOf(JsonNode container) {
        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> {
            if (e.has("value")) {
                env.put(e.get("name").asText(), e.get("value").asText());
            }
        });
        return env;
    }

    private static String mountOf(JsonNode container, String volume) {
        for (JsonNode m : container.get("volumeMounts")) {
            if (m.get("name").asText().equals(volume)) {
                return m.get("mountPath").asText();
            }
        }
        throw new AssertionError(container.get("name") + " does not mount " + volume);
    }

    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode v : pod.get("volumes")) {
            if (v.get("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no volume " + name);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(a -> out.add(a.asText()));
        return out;
    }

    private static int raftPort(OmenConfig c) {
        String a = c.cluster().self().raftAddress();
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }
}
