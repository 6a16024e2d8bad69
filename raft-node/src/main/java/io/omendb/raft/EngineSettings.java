package io.omendb.raft;

import io.omendb.config.IndexModel;
import io.omendb.config.OmenConfig;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.ModelType;

/**
 * Maps {@code [index]} and {@code [storage]} of the configuration onto the engine's options: the one place where the
 * config module's plain values meet the storage engine's types, so neither module depends on the other. Every
 * range replica on a node (and a point-in-time restore's replay) opens its engine with these options.
 */
public final class EngineSettings {
    private EngineSettings() {
    }

    /** The engine options every range replica on the node configured by {@code config} opens its engine with. */
    public static EngineOptions from(OmenConfig config) {
        return EngineOptions.defaults()
                .withMaxError(config.index().maxError())
                .withRetrainThreshold(config.index().retrainThreshold())
                .withModelType(modelType(config.index().modelType()))
                .withCompression(config.storage().compressionEnabled())
                .withFsync(config.storage().fsyncEnabled());
    }

    static ModelType modelType(IndexModel model) {
        return ModelType.parse(model.configName());
    }
}
