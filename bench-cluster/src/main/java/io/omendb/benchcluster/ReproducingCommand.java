package io.omendb.benchcluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The shell command that reproduces a picocli run, for reports: the program, then every option the user gave or
 * whose value now differs from its default, in declaration order, each word quoted for a POSIX shell so the line
 * can be pasted as is. Defaults are read from a fresh instance of the command parsed with no arguments, so
 * defaults that picocli interpolates ({@code ${sys:...}}) compare as the run saw them; an option whose value the
 * program itself changed after parsing (a resolved binary path, say) counts as differing and is stated.
 *
 * <p>Invariant (checked by {@code ReproducingCommandTest}): parsing the options of the rendered command again
 * gives every option the value it had in the run. Stateless.
 */
final class ReproducingCommand {
    /** Words a POSIX shell reads literally, without quotes. */
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ReproducingCommand() {
    }

    /**
     * @param program  the words that start the command (already shell-safe), e.g. {@code bin/omendb-bench cluster}
     * @param run      the spec of the command as it ran (its parse result says which options were given)
     * @param defaults the spec of a fresh instance of the same command after parsing no arguments
     */
    static String of(String program, CommandSpec run, CommandSpec defaults) {
        ParseResult parsed = run.commandLine().getParseResult();
        List<String> words = new ArrayList<>(List.of(program));
        for (OptionSpec option : run.options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Object value = option.getValue();
            Object defaultValue = defaults.findOption(option.longestName()).getValue();
            boolean given = parsed != null && parsed.hasMatchedOption(option);
            if (value == null || (!given && Objects.equals(value, defaultValue))) {
                continue;
            }
            words.addAll(render(option, value));
        }
        return String.join(" ", words);
    }

    private static List<String> render(OptionSpec option, Object value) {
        String name = option.longestName();
        if (option.arity().max() == 0) {
            return Boolean.TRUE.equals(value) ? List.of(name) : List.of();
        }
        if (value instanceof Collection<?> items) {
            if (!option.splitRegex().isEmpty() && Pattern.matches(option.splitRegex(), ",")) {
                return List.of(name, quote(String.join(",", items.stream().map(String::valueOf).toList())));
            }
            List<String> words = new ArrayList<>();
            for (Object item : items) {
                words.add(name);
                words.add(quote(String.valueOf(item)));
            }
            return words;
        }
        return List.of(name, quote(String.valueOf(value)));
    }

    /** {@code word} as one POSIX shell word: as is when plain, else in single quotes ({@code '} as {@code '\''}). */
    static String quote(String word) {
        if (PLAIN_WORD.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
