import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { counterSampleFiles, datapointsFromCounterSamples, parseCounterSample, type CounterSample } from "@eventlake/emulators/kinesis/counter-samples";
import type { StreamDatapoint } from "@eventlake/core/ports";
import type { StreamMetricsQuery, StreamMetricsSource } from "@eventlake/core/ports";

/**
 * StreamMetricsSource over the local stream layer: the local runtime's sampler (./stream-sampler.ts) persists the local
 * Kinesis's write counters (bytes, records, throttled records) every second under a samples directory, and this port
 * turns them into per-period sums, as CloudWatch's GetMetricData does on AWS (see packages/emulators/src/kinesis/counter-samples.ts).
 * The local runtime injects it into the autoscaler handler (../functions/autoscaler.ts); the production handler never
 * sees it. The local stream has no iterator age.
 */
export class LocalStreamMetrics implements StreamMetricsSource {
  constructor(private readonly samplesDir: string) {}

  async read(query: StreamMetricsQuery): Promise<StreamDatapoint[]> {
    const hour = 3_600_000;
    const samples: CounterSample[] = [];
    for (const file of counterSampleFiles(query.streamName, query.startMs - hour, query.endMs + hour)) {
      let text: string;
      try {
        text = await readFile(join(this.samplesDir, file), "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      for (const line of text.split("\n")) {
        const sample = line ? parseCounterSample(line) : undefined;
        if (sample) samples.push(sample);
      }
    }
    return datapointsFromCounterSamples(samples, query.startMs, query.endMs, query.periodSeconds);
  }
}
