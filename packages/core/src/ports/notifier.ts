/** The notifier port: operational notices for people, on the stage's alarm topic (packages/adapters/src/sns-notifier.ts). */

/** An operational notice. */
export interface Notice {
  /** One line, ASCII, at most 100 characters (SNS Subject). */
  subject: string;
  message: string;
  /** Filterable attributes (SNS message attributes, strings). */
  attributes?: Record<string, string>;
}

export interface Notifier {
  publish(notice: Notice): Promise<void>;
}
