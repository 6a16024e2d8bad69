package io.omendb.benchcluster;

import com.alipay.sofa.jraft.rhea.client.DefaultRheaKVStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The RheaKV side of the benchmark, in a JVM of its own: all stores of a {@link RheaKvLayout} (each with its
 * own Raft data, RocksDB and port). Prints {@value #READY} once every store has started, then runs until it is
 * terminated; a shutdown hook stops the stores. Started by {@link RheaKvTarget} with
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which jraft needs on Java 17.
 *
 * <p>Usage: {@code RheaKvServerMain DATA_DIR CLUSTER_NAME PORT,PORT,PORT SPLIT,SPLIT,...}
 */
public final class RheaKvServerMain {
    static final String READY = "RHEAKV-STORES-STARTED";

    private RheaKvServerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: RheaKvServerMain DATA_DIR CLUSTER_NAME PORTS SPLIT_POINTS");
            System.exit(2);
        }
        Path dataDir = Path.of(args[0]);
        RheaKvLayout layout = RheaKvLayout.fromArgs(args[1], args[2], args[3]);
        List<DefaultRheaKVStore> stores = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stores.forEach(DefaultRheaKVStore::shutdown)));
        for (int i = 0; i < layout.ports().size(); i++) {
            DefaultRheaKVStore store = new DefaultRheaKVStore();
            if (!store.init(layout.storeOptions(i, dataDir.resolve("store-" + (i + 1))))) {
                System.err.println("RheaKV store " + (i + 1) + " failed to start");
                System.exit(1);
            }
            stores.add(store);
        }
        System.out.println(READY);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
