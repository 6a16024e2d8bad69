package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/: the Dockerfile lints clean (dockerfile-utils) and matches the config; docker-compose.yml passes
 * {@code docker-compose config}; the Kubernetes manifests that {@code deploy.sh ENV --render} produces for
 * every overlay pass the Kubernetes OpenAPI schema check (kubernetes-models) and agree with the omendb.toml in
 * their ConfigMap (ports, probes, paths, node ids from the pod ordinal, Raft addresses through the headless
 * service). Each validator is also shown a broken input, so a validator that checks nothing fails the test.
 */
class DeploymentManifestsTest {
    private static final YAMLMapper YAML = new YAMLMapper();

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
        assertTrue(image.healthcheckCommand().contains("/health"), image.healthcheckCommand());
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
        }
        assertEquals("/var/lib/omendb/backups", mountOf(container, "backups"));
        assertProbe(container.get("readinessProbe"), "/ready");
        assertProbe(container.get("livenessProbe"), "/health");
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

    private static void assertProbe(JsonNode probe, String path) {
        assertEquals(path, probe.get("httpGet").get("path").asText());
        assertEquals("http", probe.get("httpGet").get("port").asText());
    }

    /** {@code deploy.sh ENV --render}; environments other than dev get a throwaway certificate. */
    private Path render(String env) throws Exception {
        Map<String, String> vars = new HashMap<>();
        Path users = tmp.resolve("users.htpasswd");
        Path roles = tmp.resolve("roles.txt");
        Files.writeString(users, "admin:$2y$12$" + "x".repeat(53) + "\n");
        Files.writeString(roles, "admin:read,write,admin\n");
        vars.put("OMENDB_USERS_FILE", users.toString());
        vars.put("OMENDB_ROLES_FILE", roles.toString());
        if (!env.equals("dev")) {
            Path crt = tmp.resolve("t.crt");
            Path key = tmp.resolve("t.key");
            Tools.Result cert = Tools.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key.toString(), "-out", crt.toString(), "-subj", "/CN=omendb-test");
            assertEquals(0, cert.exit(), cert.output());
            vars.put("OMENDB_TLS_CERT", crt.toString());
            vars.put("OMENDB_TLS_KEY", key.toString());
        }
        Tools.Result r = Tools.run(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), env, "--render"),
                vars, null);
        assertEquals(0, r.exit(), r.output());
        Path out = tmp.resolve(env + ".yaml");
        Files.writeString(out, r.output());
        return out;
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
