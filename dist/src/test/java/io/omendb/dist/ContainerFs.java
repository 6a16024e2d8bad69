package io.omendb.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A service's filesystem as its container would see it, mapped onto this machine: each mount (image directory,
 * bind mount, named volume) maps a container path prefix to a host path; any other absolute path falls into the
 * service's own root directory. Used to run a compose service's exact command and environment as a process.
 */
final class ContainerFs {
    private final Path root;
    private final Map<String, Path> mounts = new LinkedHashMap<>();

    ContainerFs(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    void mount(String containerPath, Path hostPath) {
        mounts.put(trimSlash(containerPath), hostPath);
    }

    /** Host path of an absolute container path (longest mount prefix wins). */
    Path map(String containerPath) {
        if (!containerPath.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute container path: " + containerPath);
        }
        String p = trimSlash(containerPath);
        String best = mounts.keySet().stream().filter(m -> p.equals(m) || p.startsWith(m + "/"))
                .max(Comparator.comparingInt(String::length)).orElse(null);
        if (best == null) {
            return root.resolve(p.substring(1));
        }
        String rest = p.substring(best.length());
        return rest.isEmpty() ? mounts.get(best) : mounts.get(best).resolve(rest.substring(1));
    }

    /**
     * An argument or environment value with its container path mapped: a value that is an absolute path, or an
     * option {@code --name=/path}. Anything else is returned unchanged.
     */
    String mapValue(String value) {
        if (value.startsWith("/")) {
            return map(value).toString();
        }
        int eq = value.indexOf("=/");
        return eq < 0 ? value : value.substring(0, eq + 1) + map(value.substring(eq + 1));
    }

    List<String> mapAll(List<String> values) {
        return values.stream().map(this::mapValue).toList();
    }

    private static String trimSlash(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
