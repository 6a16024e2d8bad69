package io.omendb.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The module picture of docs/ARCHITECTURE.md ("Modules"), checked on the product's classes: this module is the only
 * one that has every product module on its test class path, so the rules for every module edge live here.
 *
 * <p>Between modules: storage-engine, config and placement use no other module; raft-node uses storage-engine,
 * config and placement (the node leading the meta group runs the placement driver); router and backup use raft-node,
 * storage-engine and config but not each other; nothing uses app. Inside the
 * router: {@code backend} is the plain interface to the cluster (no HTTP, JSON or metrics types, so the raft-node
 * adapter stays simple); {@code metrics} knows nothing of HTTP; the HTTP layer reaches the cluster only through
 * {@code backend}, never raft-node or storage-engine directly. No package cycles inside router, raft-node or
 * backup.
 */
class LayeringTest {
    /** Each product module's root package and the modules it may use (arrows of the module picture). */
    private static final Map<String, List<String>> MODULE_USES = modules();

    private static final JavaClasses PRODUCT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages(MODULE_USES.keySet());

    private static Map<String, List<String>> modules() {
        String storage = "io.omendb.storage";
        String config = "io.omendb.config";
        String raft = "io.omendb.raft";
        String router = "io.omendb.router";
        String backup = "io.omendb.backup";
        String app = "io.omendb.app";
        String placement = "io.omendb.placement";
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(storage, List.of());
        m.put(config, List.of());
        m.put(placement, List.of());
        m.put(raft, List.of(storage, config, placement));
        m.put(router, List.of(raft, storage, config));
        m.put(backup, List.of(raft, storage, config));
        m.put(app, List.of(router, backup, raft, storage, config));
        return m;
    }

    @Test
    void everyModuleUsesOnlyTheModulesItsArrowsPointTo() {
        MODULE_USES.forEach((module, uses) -> {
            String[] forbidden = MODULE_USES.keySet().stream()
                    .filter(other -> !other.equals(module) && !uses.contains(other))
                    .map(other -> other + "..")
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(module + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(forbidden)
                    .as(module + " uses only " + uses)
                    .check(PRODUCT);
        });
    }

    /** DESIGN.md's layers: storage-engine knows nothing of Raft or the network; raft-node nothing of HTTP. */
    @Test
    void storageEngineAndRaftNodeKeepOffTheNetworkLibrariesAboveThem() {
        noClasses().that().resideInAPackage("io.omendb.storage..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..", "io.netty..", "io.grpc..")
                .check(PRODUCT);
        noClasses().that().resideInAPackage("io.omendb.raft..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "io.prometheus..")
                .check(PRODUCT);
    }

    @Test
    void backendInterfaceDependsOnNothingButTheJdk() {
        noClasses().that().resideInAPackage("io.omendb.router.backend..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.router.http..",
                        "io.omendb.router.metrics..", "io.netty..", "com.fasterxml..", "io.prometheus..",
                        "com.codahale..", "io.omendb.raft..", "io.omendb.storage..", "io.omendb.config..")
                .check(PRODUCT);
    }

    @Test
    void httpAndMetricsReachTheClusterOnlyThroughTheBackendInterface() {
        noClasses().that().resideInAnyPackage("io.omendb.router.http..", "io.omendb.router.metrics..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.raft..", "io.omendb.storage..")
                .check(PRODUCT);
        noClasses().that().resideInAPackage("io.omendb.router.metrics..")
                .should().dependOnClassesThat().resideInAPackage("io.omendb.router.http..")
                .check(PRODUCT);
    }

    @Test
    void routerRaftNodeBackupAndPlacementPackagesHaveNoCycles() {
        for (String module : List.of("io.omendb.router", "io.omendb.raft", "io.omendb.backup",
                "io.omendb.placement")) {
            slices().assignedFrom(topPackagesOf(module)).should().beFreeOfCycles().check(PRODUCT);
        }
    }

    /** One slice per package directly under {@code module}, and one for {@code module}'s own package. */
    private static SliceAssignment topPackagesOf(String module) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                String p = c.getPackageName();
                if (p.equals(module)) {
                    return SliceIdentifier.of(module);
                }
                if (!p.startsWith(module + ".")) {
                    return SliceIdentifier.ignore();
                }
                String rest = p.substring(module.length() + 1);
                int dot = rest.indexOf('.');
                return SliceIdentifier.of(module + "." + (dot < 0 ? rest : rest.substring(0, dot)));
            }

            @Override
            public String getDescription() {
                return "the packages of " + module;
            }
        };
    }
}
