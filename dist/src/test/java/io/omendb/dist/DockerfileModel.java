package io.omendb.dist;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runtime (last) stage of a Dockerfile, as far as the tests need it: ENV, ENTRYPOINT, CMD (exec form),
 * EXPOSE, VOLUME, USER, WORKDIR and the HEALTHCHECK command. Continuation lines are joined; comments dropped.
 */
record DockerfileModel(Map<String, String> env, List<String> entrypoint, List<String> cmd, List<Integer> exposed,
                       List<String> volumes, String user, String workdir, String healthcheckCommand, int stages) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENV_PAIR = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");

    static DockerfileModel parse(Path file) throws IOException {
        List<String> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
            } else {
                instructions.add(current.append(line).toString().strip());
                current.setLength(0);
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        List<String> entrypoint = List.of();
        List<String> cmd = List.of();
        List<Integer> exposed = new ArrayList<>();
        List<String> volumes = List.of();
        String user = "root";
        String workdir = "/";
        String health = null;
        int stages = 0;
        for (String ins : instructions) {
            String[] kv = ins.split("\\s+", 2);
            String op = kv[0].toUpperCase();
            String arg = kv.length > 1 ? kv[1] : "";
            switch (op) {
                case "FROM" -> {
                    stages++;
                    env.clear();
                    exposed.clear();
                    entrypoint = List.of();
                    cmd = List.of();
                    volumes = List.of();
                    user = "root";
                    workdir = "/";
                    health = null;
                }
                case "ENV" -> {
                    Matcher m = ENV_PAIR.matcher(arg);
                    while (m.find()) {
                        env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
                    }
                }
                case "ENTRYPOINT" -> entrypoint = execForm(arg);
                case "CMD" -> cmd = execForm(arg);
                case "EXPOSE" -> {
                    for (String p : arg.split("\\s+")) {
                        exposed.add(Integer.parseInt(p.replace("/tcp", "")));
                    }
                }
                case "VOLUME" -> volumes = execForm(arg);
                case "USER" -> user = arg;
                case "WORKDIR" -> workdir = arg;
                case "HEALTHCHECK" -> health = arg.substring(arg.indexOf("CMD ") + "CMD ".length()).strip();
                default -> {
                    // RUN, COPY, ARG...: not part of what a container is started with
                }
            }
        }
        return new DockerfileModel(Map.copyOf(env), entrypoint, cmd, List.copyOf(exposed), volumes, user, workdir,
                health, stages);
    }

    private static List<String> execForm(String json) {
        try {
            return List.of(JSON.readValue(json, String[].class));
        } catch (IOException e) {
            throw new IllegalArgumentException("not exec (JSON array) form: " + json, e);
        }
    }
}
