// Apache ECharts, only the parts the reports use (bar and line charts on a grid, with
// tooltip and legend, drawn on a canvas): loaded with the reports page alone.
import { useEffect, useRef } from 'react';
import { Box } from '@mui/material';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import {
    GridComponent,
    LegendComponent,
    TooltipComponent,
    type GridComponentOption,
    type LegendComponentOption,
    type TooltipComponentOption,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.ComposeOption<
    BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

export type BarSeries = BarSeriesOption;
export type LineSeries = LineSeriesOption;

export function EChart({ option, height = 320, label }: { option: ChartOption; height?: number; label: string }) {
    const element = useRef<HTMLDivElement>(null);
    const chart = useRef<echarts.ECharts | null>(null);

    useEffect(() => {
        if (!element.current) return undefined;
        const instance = echarts.init(element.current, undefined, { renderer: 'canvas' });
        chart.current = instance;
        const observer = new ResizeObserver(() => instance.resize());
        observer.observe(element.current);
        return () => {
            observer.disconnect();
            instance.dispose();
            chart.current = null;
        };
    }, []);

    useEffect(() => {
        chart.current?.setOption(option, { notMerge: true });
    }, [option]);

    return <Box ref={element} role="img" aria-label={label} sx={{ width: '100%', height }} />;
}
