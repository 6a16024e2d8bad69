package io.omendb.raft;

import io.omendb.config.ConfigLoader;
import io.omendb.config.IndexModel;
import io.omendb.config.OmenConfig;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.ModelType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineSettingsTest {
    @Test
    void theConfigDefaultsAreTheEngineDefaults() {
        assertEquals(EngineOptions.defaults(), EngineSettings.from(ConfigLoader.defaults()));
    }

    @Test
    void indexAndStorageSectionsReachTheEngine() {
        OmenConfig c = ConfigLoader.parse("""
                [storage]
                enable_compression = true
                fsync_enabled = false
                [index]
                max_error = 64
                retrain_threshold = 5000
                model_type = "linear"
                """, Map.of());
        EngineOptions o = EngineSettings.from(c);
        assertEquals(64, o.maxError());
        assertEquals(5000, o.retrainThreshold());
        assertEquals(ModelType.LINEAR, o.modelType());
        assertTrue(o.compressionEnabled());
        assertFalse(o.fsyncEnabled());
    }

    @Test
    void everyConfiguredModelIsAnEngineModelOfTheSameName() {
        for (IndexModel m : IndexModel.values()) {
            assertEquals(m.name(), EngineSettings.modelType(m).name());
        }
        assertEquals(ModelType.values().length, IndexModel.values().length);
    }
}
