package io.omendb.benchcluster;

import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rhea.options.PlacementDriverOptions;
import com.alipay.sofa.jraft.rhea.options.RegionEngineOptions;
import com.alipay.sofa.jraft.rhea.options.RegionRouteTableOptions;
import com.alipay.sofa.jraft.rhea.options.RheaKVStoreOptions;
import com.alipay.sofa.jraft.rhea.options.RocksDBOptions;
import com.alipay.sofa.jraft.rhea.options.StoreEngineOptions;
import com.alipay.sofa.jraft.rhea.storage.StorageType;
import com.alipay.sofa.jraft.util.Endpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The RheaKV cluster both sides agree on: {@code ports.size()} stores on 127.0.0.1 and the same regions
 * (split at the same keys as OmenDB's ranges) with a fake placement driver, so the store JVM and the client
 * in the bench JVM build their options from one place.
 *
 * <p>Durability: jraft's {@code RaftOptions.sync = true} fsyncs the Raft log on every append before it counts
 * (set explicitly, though it is jraft's default); the RocksDB state machine keeps RheaKV's default
 * ({@code RocksDBOptions.sync = false}, WAL on): like OmenDB's engine and etcd's bbolt, the applied state is
 * recovered from the fsynced Raft log, not synced per write.
 */
record RheaKvLayout(String clusterName, List<Integer> ports, List<String> splitPoints) {

    String serverList() {
        return ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Options of store {@code index} (0-based) with its data under {@code dataDir}. */
    RheaKVStoreOptions storeOptions(int index, Path dataDir) {
        RocksDBOptions rocks = new RocksDBOptions();
        rocks.setDbPath(dataDir.resolve("db").toString());
        RaftOptions raft = new RaftOptions();
        raft.setSync(true);
        NodeOptions node = new NodeOptions();
        node.setRaftOptions(raft);
        StoreEngineOptions store = new StoreEngineOptions();
        store.setStorageType(StorageType.RocksDB);
        store.setRocksDBOptions(rocks);
        store.setRaftDataPath(dataDir.resolve("raft").toString());
        store.setServerAddress(new Endpoint("127.0.0.1", ports.get(index)));
        store.setCommonNodeOptions(node);
        store.setRegionEngineOptionsList(regionEngines());
        RheaKVStoreOptions options = base();
        options.setStoreEngineOptions(store);
        return options;
    }

    /** Options of a client only (no store engine), routing by the same region table. */
    RheaKVStoreOptions clientOptions() {
        return base();
    }

    private RheaKVStoreOptions base() {
        PlacementDriverOptions pd = new PlacementDriverOptions();
        pd.setFake(true);
        pd.setRegionRouteTableOptionsList(regionRoutes());
        pd.setInitialServerList(serverList());
        RheaKVStoreOptions options = new RheaKVStoreOptions();
        options.setClusterName(clusterName);
        options.setInitialServerList(serverList());
        options.setPlacementDriverOptions(pd);
        return options;
    }

    private List<RegionEngineOptions> regionEngines() {
        List<RegionEngineOptions> regions = new ArrayList<>();
        for (int i = 0; i <= splitPoints.size(); i++) {
            RegionEngineOptions r = new RegionEngineOptions();
            r.setRegionId((long) (i + 1));
            if (i > 0) {
                r.setStartKey(splitPoints.get(i - 1));
            }
            if (i < splitPoints.size()) {
                r.setEndKey(splitPoints.get(i));
            }
            regions.add(r);
        }
        return regions;
    }

    private List<RegionRouteTableOptions> regionRoutes() {
        List<RegionRouteTableOptions> routes = new ArrayList<>();
        for (int i = 0; i <= splitPoints.size(); i++) {
            RegionRouteTableOptions r = new RegionRouteTableOptions();
            r.setRegionId((long) (i + 1));
            if (i > 0) {
                r.setStartKey(splitPoints.get(i - 1));
            }
            if (i < splitPoints.size()) {
                r.setEndKey(splitPoints.get(i));
            }
            r.setInitialServerList(serverList());
            routes.add(r);
        }
        return routes;
    }

    /** Command-line form for the store JVM: {@code name port,port,port split,split}. */
    List<String> toArgs() {
        return List.of(clusterName, ports.stream().map(String::valueOf).collect(Collectors.joining(",")),
                String.join(",", splitPoints));
    }

    static RheaKvLayout fromArgs(String name, String ports, String splits) {
        List<Integer> portList = new ArrayList<>();
        for (String p : ports.split(",")) {
            portList.add(Integer.parseInt(p));
        }
        List<String> splitList = splits.isEmpty() ? List.of() : List.of(splits.split(","));
        return new RheaKvLayout(name, portList, splitList);
    }
}
