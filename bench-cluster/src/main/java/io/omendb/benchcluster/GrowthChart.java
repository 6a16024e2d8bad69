package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG of a growth run ({@link GrowthBenchMain}), three charts stacked: the range count against time, the MiB
 * ingested (acknowledged) and stored (the sum of the ranges' {@code data_bytes}) against time, and the final size of
 * every range in key order. Stateless.
 */
final class GrowthChart {
    private static final double MIB = 1024.0 * 1024;
    private static final int WIDTH = 900;
    private static final int HEIGHT = 300;

    private GrowthChart() {
    }

    static void write(GrowthTracker tracker, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<GrowthTracker.Sample> samples = tracker.samples();
        List<Double> t = new ArrayList<>();
        List<Double> ranges = new ArrayList<>();
        List<Double> stored = new ArrayList<>();
        for (GrowthTracker.Sample s : samples) {
            t.add(s.elapsedS());
            ranges.add((double) s.rangeCount());
            stored.add(s.totalDataBytes() / MIB);
        }
        List<Double> progressT = new ArrayList<>();
        List<Double> ingested = new ArrayList<>();
        for (GrowthTracker.Progress p : tracker.progress()) {
            progressT.add(p.elapsedS());
            ingested.add(p.ingestedBytes() / MIB);
        }
        // Markers on the answered samples only: a stretch without markers is a time /admin/ranges did not answer.
        XYChart count = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Ranges: " + title)
                .xAxisTitle("s since the ingest started").yAxisTitle("ranges").build();
        count.getStyler().setLegendVisible(false);
        count.getStyler().setMarkerSize(3);
        count.addSeries("ranges", t, ranges).setMarker(SeriesMarkers.CIRCLE);
        XYChart data = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Data")
                .xAxisTitle("s since the ingest started").yAxisTitle("MiB").build();
        data.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        data.getStyler().setMarkerSize(3);
        data.addSeries("ingested (acknowledged)", progressT, ingested).setMarker(SeriesMarkers.NONE);
        data.addSeries("stored (sum of data_bytes)", t, stored).setMarker(SeriesMarkers.CIRCLE);
        List<String> ids = new ArrayList<>();
        List<Double> sizes = new ArrayList<>();
        for (RangeRow r : tracker.latest()) {
            ids.add(Long.toString(r.id()));
            sizes.add(Math.max(0, r.dataBytes()) / MIB);
        }
        CategoryChart finalSizes = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Range sizes at the end, in key order").xAxisTitle("range id").yAxisTitle("MiB").build();
        finalSizes.getStyler().setLegendVisible(false);
        finalSizes.getStyler().setXAxisLabelRotation(90);
        if (!ids.isEmpty()) {
            finalSizes.addSeries("data_bytes", ids, sizes);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        List<Chart<?, ?>> charts = List.of(count, data, finalSizes);
        BitmapEncoder.saveBitmap(charts, charts.size(), 1, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
