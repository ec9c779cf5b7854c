/**
 * describeAlarmStates (smoke and `status --stage`) through the real @aws-sdk/client-cloudwatch against a server that
 * speaks DescribeAlarms as AWS documents it (AWS JSON 1.0, target GraniteServiceVersion20100801.DescribeAlarms; at most
 * 100 AlarmNames per call, ValidationError beyond; pages of MaxRecords with NextToken):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 * There is no local CloudWatch stand-in (the local pipeline's alarm states come from its own evaluator).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describeAlarmStates } from "@eventlake/adapters/cloudwatch-alarm-states";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const alarms = Array.from({ length: 230 }, (_, i) => ({
  AlarmName: `eventlake-alice-alarm-${String(i).padStart(3, "0")}`,
  StateValue: i % 50 === 0 ? "ALARM" : "OK",
  StateReason: i % 50 === 0 ? "Threshold Crossed: 1 datapoint [5.0] was greater than the threshold (0.0)." : "ok",
  StateUpdatedTimestamp: 1_764_700_000 + i,
}));
const calls: { names: number; token?: string }[] = [];
let server: http.Server;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(payload));
      };
      if (req.headers["x-amz-target"] !== "GraniteServiceVersion20100801.DescribeAlarms") return reply(400, { __type: "UnknownOperationException" });
      const input = JSON.parse(body) as { AlarmNames?: string[]; NextToken?: string; MaxRecords?: number };
      const names = input.AlarmNames ?? [];
      calls.push({ names: names.length, ...(input.NextToken ? { token: input.NextToken } : {}) });
      if (names.length > 100) return reply(400, { __type: "ValidationError", message: "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100" });
      const matching = alarms.filter((a) => names.includes(a.AlarmName));
      const start = Number(input.NextToken ?? 0);
      const page = matching.slice(start, start + 40); // pages smaller than a call's names, as MaxRecords allows
      reply(200, { MetricAlarms: page, ...(start + 40 < matching.length ? { NextToken: String(start + 40) } : {}) });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("describeAlarmStates", () => {
  it("reads every named alarm: at most 100 names per call, every page", async () => {
    const names = [...alarms.map((a) => a.AlarmName), "eventlake-alice-not-deployed"];
    const states = await describeAlarmStates({ region: "eu-west-1", endpoint }, names);
    expect(states).toHaveLength(alarms.length);
    expect(new Set(states.map((s) => s.name))).toEqual(new Set(alarms.map((a) => a.AlarmName)));
    expect(states.filter((s) => s.state === "ALARM").map((s) => s.name)).toEqual(["eventlake-alice-alarm-000", "eventlake-alice-alarm-050", "eventlake-alice-alarm-100", "eventlake-alice-alarm-150", "eventlake-alice-alarm-200"]);
    expect(states.find((s) => s.name === "eventlake-alice-alarm-001")).toEqual({ name: "eventlake-alice-alarm-001", state: "OK", reason: "ok", since: new Date((1_764_700_000 + 1) * 1000).toISOString() });
    expect(Math.max(...calls.map((c) => c.names))).toBe(100);
    expect(calls.filter((c) => c.token !== undefined).length).toBeGreaterThan(0);
  });

  it("asks nothing for no names", async () => {
    calls.length = 0;
    expect(await describeAlarmStates({ region: "eu-west-1", endpoint }, [])).toEqual([]);
    expect(calls).toEqual([]);
  });
});
