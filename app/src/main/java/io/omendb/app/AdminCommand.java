package io.omendb.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;

/**
 * {@code omendb admin split --range ID [--key K]}, {@code omendb admin merge --range ID}, {@code omendb admin
 * decommission NODE} and {@code omendb admin nodes}: operator actions on a running cluster, through any node's HTTP
 * API (the same endpoints as {@code curl}, docs/API.md "Admin"), so they need no access to the nodes' files.
 * Authentication: {@code --user} with the password from stdin ({@code --password-stdin}) or {@code OMENDB_PASSWORD};
 * TLS: an {@code https://} URL, verified against {@code --cacert} (the cluster CA) or the JVM's trust store.
 *
 * <p>Exit codes: 0 done (the answer is printed as JSON), 1 the server refused or failed (its error is printed), 2 bad
 * arguments or an unreachable server.
 */
@CommandLine.Command(name = "admin", mixinStandardHelpOptions = true, description = "Operate a running cluster",
        subcommands = {AdminCommand.Split.class, AdminCommand.Merge.class, AdminCommand.Decommission.class,
                AdminCommand.Nodes.class})
final class AdminCommand implements Runnable {
    /** How long one admin call may take: the server answers a split or merge within 2 minutes. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(150);
    static final String PASSWORD_ENV = "OMENDB_PASSWORD";
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: split, merge, "
                + "decommission or nodes");
    }

    /** Where and as whom to call the HTTP API. */
    static final class Connection {
        @CommandLine.Option(names = "--url", defaultValue = "http://127.0.0.1:3000",
                description = "any node's HTTP API (default ${DEFAULT-VALUE})")
        URI url;

        @CommandLine.Option(names = "--user", description = "user with the admin role (auth_enabled clusters)")
        String user;

        @CommandLine.Option(names = "--password-stdin",
                description = "read the password from the first line of stdin (else $" + PASSWORD_ENV + ")")
        boolean passwordStdin;

        @CommandLine.Option(names = "--cacert", description = "PEM file of the CA that signed the nodes' certificates")
        Path cacert;

        /** POSTs to {@code pathAndQuery}; prints the answer; the exit code. */
        int post(String pathAndQuery) throws IOException, InterruptedException {
            return send("POST", pathAndQuery);
        }

        /** GETs {@code pathAndQuery}; prints the answer; the exit code. */
        int get(String pathAndQuery) throws IOException, InterruptedException {
            return send("GET", pathAndQuery);
        }

        private int send(String method, String pathAndQuery) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(pathAndQuery))
                    .timeout(REQUEST_TIMEOUT).method(method, HttpRequest.BodyPublishers.noBody());
            if (user != null) {
                String credentials = user + ":" + password();
                request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        credentials.getBytes(StandardCharsets.UTF_8)));
            }
            HttpResponse<String> response;
            try {
                response = client().send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                System.err.println("cannot reach " + url + ": " + e.getMessage());
                return OmenDbCli.EXIT_CONFIG;
            }
            if (response.statusCode() / 100 == 2) {
                System.out.println(response.body());
                return OmenDbCli.EXIT_OK;
            }
            System.err.println("HTTP " + response.statusCode() + ": " + errorOf(response.body()));
            return OmenDbCli.EXIT_START_FAILED;
        }

        private String password() throws IOException {
            if (passwordStdin) {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (line == null) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--password-stdin: stdin is empty");
                }
                return line;
            }
            String env = System.getenv(PASSWORD_ENV);
            if (env == null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--user needs a password: "
                        + "--password-stdin or $" + PASSWORD_ENV);
            }
            return env;
        }

        private HttpClient client() throws IOException {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
            if (cacert != null) {
                b.sslContext(trusting(cacert));
            }
            return b.build();
        }

        private static SSLContext trusting(Path pem) throws IOException {
            try (InputStream in = Files.newInputStream(pem)) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, tmf.getTrustManagers(), null);
                return ctx;
            } catch (GeneralSecurityException e) {
                throw new IOException("--cacert " + pem + ": " + e.getMessage(), e);
            }
        }

        private static String errorOf(String body) {
            try {
                JsonNode n = JSON.readTree(body);
                return n.path("error").asText("?") + ": " + n.path("message").asText(body);
            } catch (IOException notJson) {
                return body;
            }
        }
    }

    @CommandLine.Command(name = "decommission", mixinStandardHelpOptions = true,
            description = "Move every replica and leader off a node, then mark it removed (POST /admin/decommission); "
                    + "follow the drain with 'omendb admin nodes'")
    static final class Decommission implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @CommandLine.Parameters(index = "0", paramLabel = "NODE", description = "the node's id (GET /admin/nodes)")
        String node;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return connection.post("/admin/decommission?node=" + percentEncode(node.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @CommandLine.Command(name = "nodes", mixinStandardHelpOptions = true,
            description = "List the members: state, replicas and leaders (GET /admin/nodes)")
    static final class Nodes implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return connection.get("/admin/nodes");
        }
    }

    @CommandLine.Command(name = "split", mixinStandardHelpOptions = true,
            description = "Split a range in two (POST /admin/split)")
    static final class Split implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @CommandLine.Option(names = "--range", required = true, description = "the range's id (GET /admin/ranges)")
        long range;

        @CommandLine.Option(names = "--key", description = "split key (UTF-8 text; default: the range's byte median)")
        String key;

        @Override
        public Integer call() throws IOException, InterruptedException {
            String query = "/admin/split?range=" + range + (key == null ? ""
                    : "&key=" + percentEncode(key.getBytes(StandardCharsets.UTF_8)));
            return connection.post(query);
        }
    }

    @CommandLine.Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Merge a range with its right neighbour (POST /admin/merge)")
    static final class Merge implements Callable<Integer> {
        @CommandLine.Mixin
        Connection connection = new Connection();

        @CommandLine.Option(names = "--range", required = true,
                description = "the left range's id (GET /admin/ranges); the union keeps it")
        long range;

        @Override
        public Integer call() throws IOException, InterruptedException {
            return connection.post("/admin/merge?range=" + range);
        }
    }

    /** Every byte outside {@code [A-Za-z0-9-._~]} as {@code %XX}: the form the API's query parameters take. */
    static String percentEncode(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
