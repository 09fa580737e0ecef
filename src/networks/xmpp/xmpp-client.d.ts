// Types for the parts of @xmpp/client 0.14 (which ships none) that the XMPP
// connector uses. Elements are ltx elements.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export type Child = XmlElement | string | number | null | undefined | false | Child[];

  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<XmlElement | string>;
    parent?: XmlElement | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): XmlElement[];
    getText(): string;
    text(): string;
    append(...nodes: Child[]): XmlElement;
    c(name: string, attrs?: Record<string, string | undefined>): XmlElement;
    up(): XmlElement;
    toString(): string;
  }

  export function xml(name: string, attrs?: Record<string, string | number | undefined | null> | null, ...children: Child[]): XmlElement;

  export interface Jid {
    local: string;
    domain: string;
    resource: string;
    bare(): Jid;
    toString(): string;
  }
  export function jid(value: string): Jid;

  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    id: string;
    outbound_q: Array<{ stanza: XmlElement; stamp: string }>;
    timeout: number;
    requestAckInterval: number;
  }

  export interface IqCaller {
    request(stanza: XmlElement, timeout?: number): Promise<XmlElement>;
  }

  export type IqHandler = (ctx: { stanza: XmlElement; element: XmlElement; from: Jid | undefined }) => XmlElement | boolean | undefined | Promise<XmlElement | boolean | undefined>;
  export interface IqCallee {
    get(ns: string, name: string, handler: IqHandler): void;
    set(ns: string, name: string, handler: IqHandler): void;
  }

  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }

  export interface Credentials {
    username?: string;
    password?: string;
  }
  /** (authenticate, offered mechanisms, fast, entity) */
  export type CredentialsHandler = (
    authenticate: (credentials: Credentials, mechanism: string, userAgent?: XmlElement) => Promise<void>,
    mechanisms: string[],
    fast: unknown,
    entity: Client,
  ) => Promise<void>;

  export interface ClientOptions {
    service: string;
    domain: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: CredentialsHandler;
    timeout?: number;
    lang?: string;
  }

  export interface TransportClass {
    new (...args: never[]): unknown;
    prototype: { socketParameters(service: string): Record<string, unknown> | undefined };
  }

  export interface Client extends EventEmitter {
    jid: Jid | null;
    status: string;
    timeout: number;
    options: ClientOptions;
    reconnect: Reconnect;
    iqCaller: IqCaller;
    iqCallee: IqCallee;
    streamManagement: StreamManagement;
    saslFactory: { _mechs: Array<{ name: string; mech: unknown }> };
    /** Connection classes, tried in order; each maps a service URI to socket parameters. */
    transports: Array<TransportClass>;
    isSecure(): boolean;
    start(): Promise<Jid>;
    stop(): Promise<void>;
    disconnect(): Promise<void>;
    connect(service: string): Promise<void>;
    open(options: { domain: string; lang?: string }): Promise<void>;
    send(element: XmlElement): Promise<void>;
    sendMany(elements: XmlElement[]): Promise<void>;
  }

  export function client(options: ClientOptions): Client;
}
