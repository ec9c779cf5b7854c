/** The job watchdog's domain: the decision (pure) and one run over its ports. */
export * from "./decision";
export * from "./service";
