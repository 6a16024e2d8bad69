package io.omendb.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * External validators the deployment tests run: docker-compose (Debian; bin/test installs it), kubectl
 * (kustomize rendering), node + the npm packages pinned in docker/tools/package-lock.json (installed with
 * {@code npm ci} into target/node-tools once per test JVM).
 */
final class Tools {
    private static final long TOOL_WAIT_S = 300;
    private static Path nodeTools;

    private Tools() {
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command, Map<String, String> env, Path workDir) throws IOException,
            InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException(command.get(0) + " is not installed (bin/test installs what CI needs): "
                    + e.getMessage(), e);
        }
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(TOOL_WAIT_S, TimeUnit.SECONDS)) {
                throw new AssertionError(command + " did not finish within " + TOOL_WAIT_S + " s: " + out);
            }
            return new Result(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    static Result run(String... command) throws IOException, InterruptedException {
        return run(List.of(command), Map.of(), null);
    }

    /** docker/tools installed with npm ci (exact versions of the lock file) under target/node-tools. */
    static synchronized Path nodeTools() throws IOException, InterruptedException {
        if (nodeTools == null) {
            Path src = DistPaths.docker().resolve("tools");
            Path dir = Files.createDirectories(DistPaths.root().resolve("dist/target/node-tools"));
            for (String f : List.of("package.json", "package-lock.json", "validate-k8s.mjs")) {
                Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            Result ci = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), Map.of(), dir);
            if (ci.exit() != 0) {
                throw new AssertionError("npm ci in " + dir + " failed:\n" + ci.output());
            }
            nodeTools = dir;
        }
        return nodeTools;
    }
}
