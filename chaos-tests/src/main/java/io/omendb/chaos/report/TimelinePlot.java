package io.omendb.chaos.report;

import io.omendb.chaos.nemesis.FaultRecord;
import io.omendb.chaos.workload.Timeline;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The run at a glance: completed operations per second by outcome, with every fault's injection and healing
 * marked as vertical lines labelled with the fault type. Rendered headless with XChart.
 */
final class TimelinePlot {
    static final int WIDTH_PX = 1400;
    static final int HEIGHT_PX = 600;

    private TimelinePlot() {
    }

    static void write(ChaosReport report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(WIDTH_PX).height(HEIGHT_PX)
                .title("OmenDB chaos (" + report.profile() + "): operations per second, faults marked")
                .xAxisTitle("seconds").yAxisTitle("operations / s").build();
        List<Timeline.Second> s = report.timeline();
        if (s.isEmpty()) {
            return;
        }
        double[] x = s.stream().mapToDouble(Timeline.Second::second).toArray();
        series(chart, "ok", x, s.stream().mapToDouble(Timeline.Second::ok).toArray());
        series(chart, "failed", x, s.stream().mapToDouble(Timeline.Second::failed).toArray());
        series(chart, "unknown outcome", x, s.stream().mapToDouble(Timeline.Second::unknown).toArray());
        double top = s.stream().mapToLong(Timeline.Second::ok).max().orElse(1);
        for (FaultRecord f : report.faults()) {
            XYSeries fault = chart.addSeries(f.type() + " " + String.join(",", f.targets()) + " @" + Math.round(f.startS()),
                    new double[] {f.startS(), f.startS(), f.healS(), f.healS()}, new double[] {0, top, top, 0});
            fault.setMarker(SeriesMarkers.NONE);
        }
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(0);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void series(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }
}
