import { seededRandom } from "@eventlake/core/random";
import { v7 as uuidv7 } from "uuid";

const PRODUCTS = [
  { id: "sku-1001", name: "Trail Running Shoes", category: "footwear", price: 129.0 },
  { id: "sku-1002", name: "Merino Wool Socks", category: "apparel", price: 18.5 },
  { id: "sku-1003", name: "Ultralight Rain Jacket", category: "apparel", price: 189.0 },
  { id: "sku-1004", name: "Headlamp 400 lm", category: "gear", price: 44.95 },
  { id: "sku-1005", name: "Insulated Bottle 750 ml", category: "gear", price: 32.0 },
  { id: "sku-1006", name: "Café Crème Energy Gel", category: "nutrition", price: 2.75 },
  { id: "sku-1007", name: "Trekking Poles", category: "gear", price: 99.0 },
  { id: "sku-1008", name: "Sun Hoodie", category: "apparel", price: 64.0 },
];
const PAGES = ["/", "/search", "/category/footwear", "/category/apparel", "/category/gear", "/cart", "/checkout", "/help"];
const REFERRERS = ["https://www.google.com/", "https://duckduckgo.com/", "https://news.ycombinator.com/", ""];
const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
];
const LOCALES = ["en-US", "de-DE", "fr-FR", "ja-JP", "pt-BR"];

/** The ways the generator breaks events when asked for invalid ones, each mapping to a rejection reason. */
export const INVALID_KINDS = ["missing_identity", "invalid_timestamp", "invalid_field_type", "missing_field", "timestamp_out_of_range"] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

interface Session {
  userId: string | undefined;
  anonymousId: string;
  sessionId: string;
  userAgent: string;
  locale: string;
  cart: string[];
  eventsLeft: number;
}

export interface GeneratedEvent {
  event: Record<string, unknown>;
  /** Undefined for valid events; the reason the pipeline must give otherwise. */
  invalid?: InvalidKind;
}

export interface ClickstreamOptions {
  users?: number;
  seed?: number;
  /** Share of events deliberately made invalid, 0..1. */
  invalidRatio?: number;
  /** Adds a `padding` property of this many bytes to every event (to load a shard's byte limit cheaply). */
  padBytes?: number;
  now?: () => number;
}

/**
 * Realistic clickstream from a population of users browsing in sessions: page views, product clicks, add-to-cart,
 * checkouts and purchases, identifies on login, with a Segment-shaped context (page, userAgent, locale, campaign).
 */
export class ClickstreamGenerator {
  private readonly random: () => number;
  private readonly users: number;
  private readonly invalidRatio: number;
  private readonly now: () => number;
  private readonly padding: string;
  private readonly sessions: Session[] = [];

  constructor(options: ClickstreamOptions = {}) {
    this.random = seededRandom(options.seed ?? 42);
    this.users = options.users ?? 1_000;
    this.invalidRatio = options.invalidRatio ?? 0;
    this.now = options.now ?? Date.now;
    this.padding = "x".repeat(Math.max(0, options.padBytes ?? 0));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private session(): Session {
    if (this.sessions.length < 50 || this.random() < 0.05) {
      const user = Math.floor(this.random() * this.users);
      const session: Session = {
        userId: this.random() < 0.4 ? `user-${user}` : undefined,
        anonymousId: `anon-${user.toString(36)}-${Math.floor(this.random() * 1e6).toString(36)}`,
        sessionId: uuidv7(),
        userAgent: this.pick(USER_AGENTS),
        locale: this.pick(LOCALES),
        cart: [],
        eventsLeft: 5 + Math.floor(this.random() * 40),
      };
      this.sessions.push(session);
      return session;
    }
    const index = Math.floor(this.random() * this.sessions.length);
    const session = this.sessions[index]!;
    if (--session.eventsLeft <= 0) this.sessions.splice(index, 1);
    return session;
  }

  next(): GeneratedEvent {
    const s = this.session();
    const path = this.pick(PAGES);
    const timestamp = new Date(this.now() - Math.floor(this.random() * 2_000)).toISOString();
    const base: Record<string, unknown> = {
      messageId: uuidv7(),
      anonymousId: s.anonymousId,
      ...(s.userId ? { userId: s.userId } : {}),
      timestamp,
      context: {
        page: { path, url: `https://shop.example.com${path}`, referrer: this.pick(REFERRERS), title: "Example Outfitters" },
        userAgent: s.userAgent,
        locale: s.locale,
        sessionId: s.sessionId,
        library: { name: "eventlake-send", version: "1.0.0" },
        ...(this.random() < 0.2 ? { campaign: { source: "newsletter", medium: "email", name: "autumn-sale" } } : {}),
      },
    };
    const roll = this.random();
    let event: Record<string, unknown>;
    const product = this.pick(PRODUCTS);
    if (roll < 0.45) {
      event = { ...base, type: "page", name: path === "/" ? "Home" : path.split("/").pop(), properties: { path, search: "" } };
    } else if (roll < 0.7) {
      event = { ...base, type: "track", event: "Product Clicked", properties: { product_id: product.id, name: product.name, category: product.category, price: product.price, position: 1 + Math.floor(this.random() * 24) } };
    } else if (roll < 0.85) {
      s.cart.push(product.id);
      event = { ...base, type: "track", event: "Product Added", properties: { product_id: product.id, name: product.name, price: product.price, quantity: 1 + Math.floor(this.random() * 3), cart_id: s.sessionId } };
    } else if (roll < 0.92) {
      event = { ...base, type: "track", event: "Checkout Started", properties: { cart_id: s.sessionId, products: s.cart.length, currency: "EUR" } };
    } else if (roll < 0.97) {
      const revenue = Math.round((product.price * (1 + s.cart.length) + Number.EPSILON) * 100) / 100;
      event = { ...base, type: "track", event: "Order Completed", properties: { order_id: uuidv7(), revenue, currency: "EUR", products: [{ product_id: product.id, price: product.price, quantity: 1 }] } };
      s.cart = [];
    } else {
      s.userId ??= `user-${Math.floor(this.random() * this.users)}`;
      event = { ...base, userId: s.userId, type: "identify", traits: { plan: this.pick(["free", "plus", "pro"]), locale: s.locale, email_domain: "example.com" } };
    }
    if (this.padding) event.properties = { ...(event.properties as object | undefined), padding: this.padding };
    if (this.invalidRatio > 0 && this.random() < this.invalidRatio) return this.breakEvent(event);
    return { event };
  }

  private breakEvent(event: Record<string, unknown>): GeneratedEvent {
    const kind = this.pick(INVALID_KINDS);
    const broken = { ...event };
    switch (kind) {
      case "missing_identity":
        delete broken.userId;
        delete broken.anonymousId;
        break;
      case "invalid_timestamp":
        broken.timestamp = "yesterday at noon";
        break;
      case "invalid_field_type":
        broken.properties = "not-an-object";
        break;
      case "missing_field":
        broken.type = "track";
        delete broken.event;
        break;
      case "timestamp_out_of_range":
        broken.timestamp = "1970-01-01T00:00:00Z";
        break;
    }
    return { event: broken, invalid: kind };
  }
}
