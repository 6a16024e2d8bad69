package io.omendb.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/omendb-bench}: benchmark commands that print one JSON object per measurement. */
@Command(name = "omendb-bench", mixinStandardHelpOptions = true, subcommands = {EngineBench.class},
        description = "OmenDB benchmarks; each prints JSON lines on stdout and progress on stderr.")
public final class BenchMain implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }
}
