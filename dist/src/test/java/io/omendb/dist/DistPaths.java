package io.omendb.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Where the repository, the shipped files and the built tarball are (set by the dist pom). */
final class DistPaths {
    private static final long UNTAR_WAIT_S = 60;
    /**
     * Bind-mount source prefix (relative to docker/) of the compose cluster's TLS files: made by
     * docker/compose/make-certs.sh, never committed; tests make them into a temporary directory instead.
     */
    static final String COMPOSE_TLS_SOURCE = "./compose/tls/";

    private DistPaths() {
    }

    static Path root() {
        return Path.of(System.getProperty("omendb.root", "..")).toAbsolutePath().normalize();
    }

    static Path shippedConfig() {
        return root().resolve("dist/src/dist/conf/omendb.toml");
    }

    static Path docker() {
        return root().resolve("docker");
    }

    static String version() {
        return System.getProperty("omendb.version");
    }

    /**
     * Unpacks the built tarball into {@code dir} with the system's tar, as a user would, and returns the
     * {@code omendb-VERSION} directory it holds.
     */
    static Path unpackTarball(Path dir) throws IOException, InterruptedException {
        Path tarball = Path.of(System.getProperty("omendb.tarball"));
        if (!Files.isRegularFile(tarball)) {
            throw new IllegalStateException("no tarball at " + tarball + " (run mvn package first)");
        }
        Process tar = new ProcessBuilder(List.of("tar", "xzf", tarball.toString(), "-C", dir.toString()))
                .redirectErrorStream(true).start();
        if (!tar.waitFor(UNTAR_WAIT_S, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            tar.destroyForcibly();
            throw new IllegalStateException("tar xzf failed: " + new String(tar.getInputStream().readAllBytes()));
        }
        return dir.resolve("omendb-" + version());
    }
}
