/** The CLI's number options: one parser per kind of number, each refusing anything else with what it must be. */
import { InvalidArgumentError, Option } from "commander";

function numberOption(accepts: (n: number) => boolean, requirement: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    // Number("") is 0: an empty value is not a number.
    if (value.trim() === "" || !accepts(parsed)) throw new InvalidArgumentError(`must be ${requirement}`);
    return parsed;
  };
}

/** 0, 1, 2 ... (counts, ports, rates where 0 means "no limit"). */
export const wholeNumber = numberOption((n) => Number.isInteger(n) && n >= 0, "a non-negative integer");
/** A share between 0 and 1. */
export const share = numberOption((n) => n >= 0 && n <= 1, "between 0 and 1");
export const positiveNumber = numberOption((n) => Number.isFinite(n) && n > 0, "a number > 0");
export const nonNegativeNumber = numberOption((n) => Number.isFinite(n) && n >= 0, "a number >= 0");

/**
 * The options that point a command at a deployed stage instead of the local pipeline (status, verify, replay, smoke,
 * curate): defined once so every command names and explains them the same way (see cli/stage-target.ts).
 */
export const stageOption = (): Option =>
  new Option("--stage <stage>", "a deployed stage (resources from SST's outputs, AWS credentials from the default chain) instead of the local pipeline");
export const outputsOption = (): Option => new Option("--outputs <file>", "SST's outputs of the stage's last deploy (default .sst/outputs.json)");
export const regionOption = (description = "AWS region (default: the stage's, from its outputs)"): Option => new Option("--region <region>", description);
