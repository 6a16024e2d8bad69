package io.omendb.router;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The router's layers: {@code backend} is the plain interface to the cluster (no HTTP, JSON or metrics types, so
 * the raft-node adapter stays simple); {@code metrics} knows nothing of HTTP; the HTTP layer reaches the cluster
 * only through {@code backend}, never raft-node or storage-engine directly; no cycles.
 */
class LayeringTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.omendb.router");

    @Test
    void backendInterfaceDependsOnNothingButTheJdk() {
        noClasses().that().resideInAPackage("io.omendb.router.backend..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.router.http..",
                        "io.omendb.router.metrics..", "io.netty..", "com.fasterxml..", "io.prometheus..",
                        "com.codahale..", "io.omendb.raft..", "io.omendb.storage..")
                .check(MAIN);
    }

    @Test
    void httpAndMetricsReachTheClusterOnlyThroughTheBackendInterface() {
        noClasses().that().resideInAnyPackage("io.omendb.router.http..", "io.omendb.router.metrics..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.raft..", "io.omendb.storage..")
                .check(MAIN);
        noClasses().that().resideInAPackage("io.omendb.router.metrics..")
                .should().dependOnClassesThat().resideInAPackage("io.omendb.router.http..")
                .check(MAIN);
    }

    /** DESIGN.md's module arrows: storage-engine knows nothing of Raft or the network; raft-node nothing of HTTP. */
    @Test
    void storageEngineAndRaftNodeKeepToTheirLayers() {
        JavaClasses lower = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.omendb.storage", "io.omendb.raft");
        noClasses().that().resideInAPackage("io.omendb.storage..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.raft..", "io.omendb.router..",
                        "org.apache.ratis..", "io.netty..", "io.grpc..")
                .check(lower);
        noClasses().that().resideInAPackage("io.omendb.raft..")
                .should().dependOnClassesThat().resideInAnyPackage("io.omendb.router..", "io.netty..",
                        "io.prometheus..")
                .check(lower);
    }

    @Test
    void routerPackagesHaveNoCycles() {
        slices().matching("io.omendb.router.(*)..").should().beFreeOfCycles().check(MAIN);
    }
}
