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
 * headless service, no two replicas on one node), also scaled past the initial members (pods 3 and up join);
 * scale.sh drains pods before the StatefulSet shrinks (run against a stand-in kubectl); docker-compose.omendb-4.yml
 * adds a fourth node that joins. Each validator is also shown a broken input, so a validator that checks nothing
 * fails the test.
 */
class DeploymentManifestsTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String HEALTH_CACERT_ENV = "OMENDB_HEALTH_CACERT";
    private static final String HEALTH_COMMAND = "/opt/omendb/bin/omendb-health";
    private static final String GRAFANA_DASHBOARDS_SOURCE = "./grafana/dashboards";
    private static final String GRAFANA_PROVISIONING_TARGET = "/etc/grafana/provisioning";
    /** The StatefulSet's initial members (base/omendb.toml), which hold the meta group; later pods join. */
    private static final List<String> INITIAL_PODS = List.of("omendb-0", "omendb-1", "omendb-2");

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
        Set<String> caSources = new TreeSet<>();
        int nodes = 0;
        for (Map.Entry<String, JsonNode> s : fields(compose.get("services"))) {
            JsonNode svc = s.getValue();
            if (!svc.has("build")) {
                continue;
            }
            nodes++;
            OmenConfig c = assertComposeNodeRunsTls(s.getKey(), svc, image, tls);
            caSources.add(bindMounts(svc).get(c.security().tlsCaFile()));
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
     * The compose node {@code name}'s config (loaded by the product with the image's and the service's environment)
     * runs TLS with the files the service mounts, made by compose/make-certs.sh into {@code tls}: its certificate is
     * signed by the CA and names its Raft host, its compose address and the HEALTHCHECK's host. Returns the config.
     */
    private static OmenConfig assertComposeNodeRunsTls(String name, JsonNode svc, DockerfileModel image, Path tls)
            throws Exception {
        Map<String, String> mounts = bindMounts(svc);
        Map<String, String> env = new HashMap<>(image.env());
        svc.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        OmenConfig c = ConfigLoader.load(DistPaths.docker().resolve(mounts.get("/etc/omendb/omendb.toml")), env);
        OmenConfig.Security sec = c.security();
        assertTrue(sec.tlsEnabled(), name + ": TLS is the compose cluster's path");
        assertEquals(sec.tlsCaFile(), env.get(HEALTH_CACERT_ENV), name + ": the HEALTHCHECK trusts the CA");
        Path cert = generated(tls, mounts.get(sec.tlsCertFile()));
        assertTrue(Files.isRegularFile(generated(tls, mounts.get(sec.tlsKeyFile()))), name + ": key");
        String raftHost = c.cluster().self().raftAddress().split(":")[0];
        String address = svc.get("networks").get("omendb").get("ipv4_address").asText();
        String healthHost = image.healthcheckCommand().split("\\s+")[2];
        NodeCertificates.assertNodeCertificate(cert, generated(tls, mounts.get(sec.tlsCaFile())),
                List.of(raftHost, address, healthHost));
        return c;
    }

    /**
     * docker-compose.omendb-4.yml, the documented way to add a fourth node: with the main file it passes {@code
     * docker-compose config} (a typo in it does not), it adds only service omendb-4 and its volumes (the merged
     * services omendb-1..3, Prometheus and Grafana are the main file's), and omendb-4 runs TLS like the others with
     * a config that joins: {@code join = true}, omendb-1..3 (the meta peers, as in their files) then itself, and
     * otherwise omendb-1.toml.
     */
    @Test
    void composeOverrideAddsAFourthNodeThatJoins() throws Exception {
        Path main = DistPaths.docker().resolve("docker-compose.yml");
        Path override = DistPaths.docker().resolve("docker-compose.omendb-4.yml");
        Tools.Result merged = Tools.run("docker-compose", "-f", main.toString(), "-f", override.toString(), "config");
        assertEquals(0, merged.exit(), merged.output());
        Tools.Result alone = Tools.run("docker-compose", "-f", main.toString(), "config");
        assertEquals(0, alone.exit(), alone.output());
        JsonNode mergedServices = YAML.readTree(merged.output()).get("services");
        JsonNode mainServices = YAML.readTree(alone.output()).get("services");
        List<String> added = new ArrayList<>();
        mergedServices.fieldNames().forEachRemaining(added::add);
        mainServices.fieldNames().forEachRemaining(added::remove);
        assertEquals(List.of("omendb-4"), added);
        mainServices.fields().forEachRemaining(e -> assertEquals(volumesSorted(e.getValue()),
                volumesSorted(mergedServices.get(e.getKey())), e.getKey() + " changed by the override"));

        Path broken = DistPaths.docker().resolve("compose-override-broken-" + ProcessHandle.current().pid() + ".yml");
        try {
            Files.writeString(broken, Files.readString(override).replaceFirst("    command:", "    comand:"));
            Tools.Result bad = Tools.run("docker-compose", "-f", main.toString(), "-f", broken.toString(), "config",
                    "-q");
            assertNotEquals(0, bad.exit(), "docker-compose config accepted an unknown key in the override");
        } finally {
            Files.deleteIfExists(broken);
        }

        Path tls = tmp.resolve("tls");
        Tools.Result made = Tools.run(DistPaths.docker().resolve("compose/make-certs.sh").toString(), tls.toString());
        assertEquals(0, made.exit(), made.output());
        DockerfileModel image = DockerfileModel.parse(DistPaths.docker().resolve("Dockerfile"));
        JsonNode node4 = YAML.readTree(override.toFile()).get("services").get("omendb-4");
        OmenConfig c = assertComposeNodeRunsTls("omendb-4", node4, image, tls);
        assertEquals("omendb-4", c.cluster().nodeId());
        assertTrue(c.cluster().join(), "omendb-4 joins the running cluster");
        assertEquals(List.of("omendb-1", "omendb-2", "omendb-3", "omendb-4"),
                c.cluster().members().stream().map(OmenConfig.Member::id).toList());
        OmenConfig first = ConfigLoader.load(DistPaths.docker().resolve("compose/omendb-1.toml"), image.env());
        assertEquals(first.cluster().members(), c.cluster().metaPeers(), "the meta peers as omendb-1..3 list them");
        assertEquals(first.cluster().replicationFactor(), c.cluster().replicationFactor());
        Path dir = DistPaths.docker().resolve("compose");
        String expected = withoutComments(Files.readString(dir.resolve("omendb-1.toml")))
                .replace("node_id = \"omendb-1\"", "node_id = \"omendb-4\"\njoin = true")
                + "[[cluster.members]]\nid = \"omendb-4\"\nraft_address = \"omendb-4:7000\"\n"
                + "http_address = \"omendb-4:3000\"\n";
        assertEquals(expected, withoutComments(Files.readString(dir.resolve("omendb-4.toml"))),
                "omendb-4.toml is omendb-1.toml with its id, join = true and itself as a member");
    }

    /** A compose service with its volumes in order ({@code docker-compose config} may list them in any order). */
    private static JsonNode volumesSorted(JsonNode service) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = service.deepCopy();
        List<String> volumes = texts(service.path("volumes"));
        volumes.sort(null);
        com.fasterxml.jackson.databind.node.ArrayNode sorted = copy.putArray("volumes");
        volumes.forEach(sorted::add);
        return copy;
    }

    private static String withoutComments(String toml) {
        return toml.lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
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
        assertEquals(3, assertManifestsAgreeWithTheirConfig(render("dev")));
    }

    /**
     * The StatefulSet scaled past its initial members ({@code deploy.sh ENV --replicas 5}, as {@code scale.sh ENV 5}
     * runs it): the manifests still pass the schemas and agree with the config, the Secret holds every pod's TLS
     * files, and the config each pod's init container writes (loaded by the product's ConfigLoader) keeps pods 0..2
     * as the initial members and meta peers, with pods 3 and 4 joining ({@code join = true}, listed after them).
     * Fewer pods than the initial members are refused.
     */
    @Test
    void scaledStatefulSetPodsPastTheInitialMembersJoin() throws Exception {
        Path scaled = render("dev", "--replicas", "5");
        Tools.Result r = Tools.run(List.of("node", Tools.nodeTools().resolve("validate-k8s.mjs").toString(),
                scaled.toString()), Map.of(), Tools.nodeTools());
        assertEquals(0, r.exit(), r.output());
        assertEquals(5, assertManifestsAgreeWithTheirConfig(scaled));

        Map<String, String> vars = authFiles();
        vars.put("OMENDB_TLS_DIR", k8sCertificates("omendb-dev", 5).toString());
        Tools.Result tooFew = Tools.run(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), "dev",
                "--render", "--replicas", "2"), vars, null);
        assertEquals(2, tooFew.exit(), tooFew.output());
        assertTrue(tooFew.output().contains("at least the 3 initial members"), tooFew.output());
    }

    /**
     * docker/k8s/scale.sh and deploy.sh against a stand-in for kubectl (test resource {@code fake-kubectl}: the
     * StatefulSet's replicas and the members' states in files, kustomize by the real kubectl, every call logged, a
     * shrink refused while a pod that goes is not removed). 5 to 3 decommissions omendb-3 and omendb-4, waits until
     * both are removed, then scales, the admin password only on stdin; 3 to 5 onto the removed ids deletes their data
     * volumes (not their backups) before applying 5 replicas; onto an id still draining or recorded dead it is refused
     * before anything is deleted or applied; 3 to 5 onto fresh ordinals applies 5 replicas with every pod's TLS files; deploy.sh keeps
     * a running count of 5 and refuses to shrink it.
     */
    @Test
    void scaleScriptDrainsPodsBeforeTheStatefulSetShrinks() throws Exception {
        Path cluster = Files.createDirectories(tmp.resolve("cluster"));
        Path bin = Files.createDirectories(tmp.resolve("fake-bin"));
        try (java.io.InputStream in = getClass().getResourceAsStream("fake-kubectl")) {
            Files.copy(in, bin.resolve("kubectl"));
        }
        assertTrue(bin.resolve("kubectl").toFile().setExecutable(true));
        Map<String, String> vars = authFiles();
        vars.put("OMENDB_TLS_DIR", k8sCertificates("omendb-dev", 5).toString());
        vars.putAll(Map.of("PATH", bin + ":" + System.getenv("PATH"), "FAKE_CLUSTER", cluster.toString(),
                "REAL_KUBECTL", onPath("kubectl"), "OMENDB_ADMIN_USER", "admin", "OMENDB_PASSWORD", "s3cret",
                "OMENDB_POLL_S", "0"));
        String scale = DistPaths.docker().resolve("k8s/scale.sh").toString();
        String deploy = DistPaths.docker().resolve("k8s/deploy.sh").toString();
        Path calls = cluster.resolve("calls");

        setCluster(cluster, 5, "live", "live", "live", "live", "live");
        Tools.Result down = Tools.run(List.of(scale, "dev", "3"), vars, null);
        List<String> log = Files.readAllLines(calls);
        assertEquals(0, down.exit(), down.output() + log);
        int scaled = indexOf(log, "scale statefulset/omendb --replicas=3");
        assertTrue(indexOf(log, "admin decommission omendb-3") < scaled, log.toString());
        assertTrue(indexOf(log, "admin decommission omendb-4") < scaled, log.toString());
        assertTrue(log.subList(0, scaled).stream().filter(l -> l.contains("admin nodes")).count() >= 2,
                "waited for the drain: " + log);
        assertEquals("3", Files.readString(cluster.resolve("replicas")).trim());
        assertEquals(states("live", "live", "live", "removed", "removed"), Files.readString(cluster.resolve("states")));
        assertTrue(log.stream().noneMatch(l -> l.contains(" exec ") && l.contains("s3cret")), log.toString());
        assertTrue(log.contains("stdin: s3cret"), log.toString());

        Files.writeString(calls, "");
        Tools.Result ontoRemoved = Tools.run(List.of(scale, "dev", "5"), vars, null);
        log = Files.readAllLines(calls);
        assertEquals(0, ontoRemoved.exit(), ontoRemoved.output() + log);
        int appliedAt = indexOf(log, "apply -f");
        assertTrue(indexOf(log, "delete pvc data-omendb-3 data-omendb-4") < appliedAt, "the drained volumes go first, "
                + "so the pods start on empty ones and take the ids back: " + log);
        assertEquals(-1, indexOfOrMinusOne(log, "backups-omendb"), log.toString());
        assertEquals(5, documents(cluster.resolve("applied.yaml")).get("StatefulSet/omendb").get("spec")
                .get("replicas").asInt());

        for (String refused : List.of("draining", "dead")) {
            setCluster(cluster, 3, "live", "live", "live", "removed", refused);
            Tools.Result ontoRefused = Tools.run(List.of(scale, "dev", "5"), vars, null);
            assertEquals(1, ontoRefused.exit(), ontoRefused.output());
            assertTrue(ontoRefused.output().contains("omendb-4 is " + (refused.equals("dead") ? "recorded 'dead'"
                    : "still draining")), ontoRefused.output());
            log = Files.readAllLines(calls);
            assertEquals(-1, indexOfOrMinusOne(log, "apply -f"), log.toString());
            assertEquals(-1, indexOfOrMinusOne(log, "delete pvc"), log.toString());
        }

        setCluster(cluster, 3, "live", "live", "live");
        Tools.Result up = Tools.run(List.of(scale, "dev", "5"), vars, null);
        assertEquals(0, up.exit(), up.output() + Files.readAllLines(calls));
        Map<String, JsonNode> applied = documents(cluster.resolve("applied.yaml"));
        assertEquals(5, applied.get("StatefulSet/omendb").get("spec").get("replicas").asInt());
        assertTrue(applied.get("Secret/omendb-tls").get("data").has("omendb-4.pem"), "omendb-4's TLS files");

        setCluster(cluster, 5, "live", "live", "live", "live", "live");
        Tools.Result redeploy = Tools.run(List.of(deploy, "dev"), vars, null);
        assertEquals(0, redeploy.exit(), redeploy.output());
        assertEquals(5, documents(cluster.resolve("applied.yaml")).get("StatefulSet/omendb").get("spec")
                .get("replicas").asInt(), "a deploy keeps the running count");
        Tools.Result shrink = Tools.run(List.of(deploy, "dev", "--replicas", "3"), vars, null);
        assertEquals(2, shrink.exit(), shrink.output());
        assertTrue(shrink.output().contains("docker/k8s/scale.sh dev 3"), shrink.output());
    }

    /** The stand-in cluster: a StatefulSet of {@code replicas} pods, members omendb-0.. in these states. */
    private static void setCluster(Path cluster, int replicas, String... states) throws Exception {
        Files.writeString(cluster.resolve("replicas"), replicas + "\n");
        Files.writeString(cluster.resolve("states"), states(states));
        Files.writeString(cluster.resolve("calls"), "");
        Files.deleteIfExists(cluster.resolve("applied.yaml"));
    }

    private static String states(String... states) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < states.length; i++) {
            out.append("omendb-").append(i).append(' ').append(states[i]).append('\n');
        }
        return out.toString();
    }

    private static int indexOf(List<String> lines, String fragment) {
        int i = indexOfOrMinusOne(lines, fragment);
        assertTrue(i >= 0, "no call with '" + fragment + "': " + lines);
        return i;
    }

    private static int indexOfOrMinusOne(List<String> lines, String fragment) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(fragment)) {
                return i;
            }
        }
        return -1;
    }

    /** The absolute path of {@code command} on this process's PATH. */
    private static String onPath(String command) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException(command + " is not installed (bin/test installs what CI needs)");
    }

    /**
     * Checks the rendered manifests against the config each pod's init container writes for itself; returns the
     * StatefulSet's replicas.
     */
    private int assertManifestsAgreeWithTheirConfig(Path manifests) throws Exception {
        Map<String, JsonNode> docs = documents(manifests);
        JsonNode sts = docs.get("StatefulSet/omendb");
        JsonNode pod = sts.get("spec").get("template").get("spec");
        JsonNode container = pod.get("containers").get(0);
        JsonNode init = pod.get("initContainers").get(0);
        JsonNode configMap = docs.entrySet().stream().filter(e -> e.getKey().startsWith("ConfigMap/omendb-config"))
                .findFirst().orElseThrow().getValue();
        DockerfileModel image = DockerfileModel.parse(DistPaths.docker().resolve("Dockerfile"));
        int replicas = sts.get("spec").get("replicas").asInt();
        assertEquals("Parallel", sts.get("spec").get("podManagementPolicy").asText(), "pods need each other to be ready");

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
            Map<String, String> nodeEnv = new HashMap<>(image.env());
            nodeEnv.putAll(envOf(container));
            OmenConfig c = ConfigLoader.load(runInitContainer(init, configMap, podName), nodeEnv);
            assertEquals(podName, c.cluster().nodeId(), "node id from the pod ordinal");
            List<String> members = new ArrayList<>(INITIAL_PODS);
            boolean joins = ordinal >= INITIAL_PODS.size();
            if (joins) {
                members.add(podName);
            }
            assertEquals(members, c.cluster().members().stream().map(OmenConfig.Member::id).toList(), podName);
            assertEquals(INITIAL_PODS, c.cluster().metaPeers().stream().map(OmenConfig.Member::id).toList(), podName);
            assertEquals(joins, c.cluster().join(), podName + ": pods past the initial members join");
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
        return replicas;
    }

    /**
     * Runs the init container's command as the kubelet would for {@code podName}, with the ConfigMap's files in a
     * temporary directory standing for its mount; returns the config it wrote.
     */
    private Path runInitContainer(JsonNode init, JsonNode configMap, String podName) throws Exception {
        Path mounted = Files.createDirectories(tmp.resolve("configmap-" + podName));
        configMap.get("data").fields().forEachRemaining(e -> write(mounted.resolve(e.getKey()),
                e.getValue().asText().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        String mount = mountOf(init, "config-template");
        Path rendered = tmp.resolve(podName + ".toml");
        Map<String, String> env = new HashMap<>();
        envOf(init).forEach((k, v) -> env.put(k, v.replace(mount, mounted.toString())));
        env.putAll(Map.of("POD_NAME", podName, "CONFIG", rendered.toString()));
        List<String> command = texts(init.get("command")).stream().map(a -> a.replace(mount, mounted.toString()))
                .toList();
        Tools.Result r = Tools.run(command, env, null);
        assertEquals(0, r.exit(), r.output());
        return rendered;
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

    /**
     * {@code deploy.sh ENV --render [--replicas N]} with TLS files from {@code make-certs.sh} for the overlay's
     * namespace and that many pods (3 without {@code --replicas}).
     */
    private Path render(String env, String... replicasOption) throws Exception {
        int pods = replicasOption.length == 0 ? INITIAL_PODS.size() : Integer.parseInt(replicasOption[1]);
        Map<String, String> vars = authFiles();
        vars.put("OMENDB_TLS_DIR", k8sCertificates("omendb-" + env, pods).toString());
        List<String> command = new ArrayList<>(List.of(DistPaths.docker().resolve("k8s/deploy.sh").toString(), env,
                "--render"));
        command.addAll(List.of(replicasOption));
        Tools.Result r = Tools.run(command, vars, null);
        assertEquals(0, r.exit(), r.output());
        Path out = tmp.resolve(env + "-" + pods + ".yaml");
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
        return k8sCertificates(namespace, INITIAL_PODS.size());
    }

    /** {@code docker/k8s/make-certs.sh NAMESPACE DIR PODS}, as the guide runs it before scaling to PODS. */
    private Path k8sCertificates(String namespace, int pods) throws Exception {
        Path dir = tmp.resolve("tls-" + namespace);
        Tools.Result made = Tools.run(DistPaths.docker().resolve("k8s/make-certs.sh").toString(), namespace,
                dir.toString(), Integer.toString(pods));
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
