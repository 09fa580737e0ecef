// The hub: owns the repository, the live network clients and the domain events,
// and gives the services (chats, messages, search, …) what they share.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Repository } from '../store/repository.ts';
import type { AccountRecord, ChatRecord } from '../store/records.ts';
import type { ChatRef, ConnectionState, ConnectorContext, NetworkClient, NetworkConnector } from '../networks/connector.ts';
import type { ChatCapabilities } from './schemas/capabilities.ts';
import { DomainEvents } from './events.ts';
import { Clock } from './clock.ts';
import { notFound, refused } from './errors.ts';
import { userID } from './ids.ts';
import { Ingest } from './ingest.ts';
import { MediaStore } from './media.ts';
import { DueWork } from './due.ts';
import { Accounts } from './services/accounts.ts';
import { Assets } from './services/assets.ts';
import { Chats } from './services/chats.ts';
import { Contacts } from './services/contacts.ts';
import { Messages, RETRY_DELAYS_MS } from './services/messages.ts';
import { Search } from './services/search.ts';
import { Tokens } from './services/tokens.ts';
import { OAuth } from './services/oauth.ts';
import { Sandbox } from './services/sandbox.ts';

export interface CoreOptions {
  repo: Repository;
  dataDir: string;
  log: Logger;
  connectors: NetworkConnector[];
  /** A token accepted with read and write besides the stored ones (SWITCHBOARD_ACCESS_TOKEN). */
  envToken?: string;
  /** Delays between attempts of a send that failed retriably (default RETRY_DELAYS_MS). */
  retryDelaysMs?: number[];
}

const CHAT_CACHE_SIZE = 20_000;

interface LiveAccount {
  record: AccountRecord;
  client: NetworkClient;
  state: ConnectionState;
  stateMessage?: string;
}

export class Core {
  readonly repo: Repository;
  readonly log: Logger;
  readonly dataDir: string;
  readonly retryDelaysMs: number[];
  readonly events: DomainEvents;
  readonly ingest: Ingest;
  readonly media: MediaStore;
  readonly accounts: Accounts;
  readonly assets: Assets;
  readonly chats: Chats;
  readonly contacts: Contacts;
  readonly messages: Messages;
  readonly search: Search;
  readonly tokens: Tokens;
  readonly oauth: OAuth;
  readonly sandbox: Sandbox;
  readonly due: DueWork;
  private readonly connectors = new Map<string, NetworkConnector>();
  private readonly live = new Map<string, LiveAccount>();
  /** Accounts whose client is being created (its code may be loading): a stop in between cancels the start. */
  private readonly starting = new Map<string, symbol>();
  /**
   * What list views ask for every chat on every request: its ChatRef (members) and
   * capabilities, per chat version (bumped by the store on any change), and
   * dropped entirely when an account starts or stops.
   */
  private readonly chatCache = new Map<string, { version: number; ref: ChatRef; capabilities?: ChatCapabilities }>();
  /** Domain time; the sandbox simulator can move or stop it. */
  readonly clock = new Clock();

  constructor(opts: CoreOptions) {
    this.repo = opts.repo;
    this.log = opts.log;
    this.dataDir = opts.dataDir;
    this.retryDelaysMs = opts.retryDelaysMs ?? RETRY_DELAYS_MS;
    for (const c of opts.connectors) this.connectors.set(c.type, c);
    this.events = new DomainEvents(this.repo, this.log);
    mkdirSync(join(this.dataDir, 'media'), { recursive: true });
    mkdirSync(join(this.dataDir, 'uploads'), { recursive: true });
    mkdirSync(join(this.dataDir, 'incoming'), { recursive: true });
    this.media = new MediaStore(this);
    this.ingest = new Ingest(this);
    this.accounts = new Accounts(this);
    this.assets = new Assets(this);
    this.chats = new Chats(this);
    this.contacts = new Contacts(this);
    this.messages = new Messages(this);
    this.search = new Search(this);
    this.tokens = new Tokens(this, opts.envToken);
    this.oauth = new OAuth(this);
    this.sandbox = new Sandbox(this);
    this.due = new DueWork(this);
  }

  now(): number {
    return this.clock.now();
  }

  /** Starts a client for every stored account whose connector is available. */
  async start(): Promise<void> {
    await this.accounts.watch();
    for (const account of await this.repo.listAccounts()) await this.startAccount(account);
    const resumed = await this.messages.resumeOutbox();
    if (resumed) this.log.info({ count: resumed }, 'resuming sends left pending');
    this.due.start();
    this.events.start();
  }

  async stop(): Promise<void> {
    this.accounts.unwatch();
    await this.due.stop();
    this.messages.stop();
    for (const live of this.live.values()) await live.client.disconnect().catch((err) => this.log.warn({ err, accountID: live.record.id }, 'disconnect failed'));
    this.live.clear();
    await this.events.stop();
  }

  async startAccount(account: AccountRecord): Promise<void> {
    const connector = this.connectors.get(account.connector);
    if (!connector) {
      this.log.warn({ accountID: account.id, connector: account.connector }, 'no connector of this type is available; the account stays offline');
      return;
    }
    this.chatCache.clear();
    this.chats.forgetViews();
    const attempt = Symbol(account.id);
    this.starting.set(account.id, attempt);
    const client = await connector.create(this.contextFor(account));
    if (this.starting.get(account.id) !== attempt) return; // stopped (or started again) while the client's code loaded
    this.starting.delete(account.id);
    const live: LiveAccount = { record: account, client, state: 'connecting' };
    this.live.set(account.id, live);
    await client.connect();
  }

  async stopAccount(accountID: string): Promise<void> {
    const live = this.live.get(accountID);
    this.live.delete(accountID);
    this.starting.delete(accountID);
    this.chatCache.clear();
    this.chats.forgetViews();
    await live?.client.disconnect();
  }

  connectionState(accountID: string): { state: ConnectionState; message?: string } | undefined {
    const live = this.live.get(accountID);
    return live && { state: live.state, message: live.stateMessage };
  }

  /** The live client of an account; 422 when the account's connector is not running. */
  client(accountID: string): NetworkClient {
    const live = this.live.get(accountID);
    if (!live) throw refused('ACCOUNT_UNAVAILABLE', `Account ${accountID} has no running connector, so nothing was sent; the server log says why.`);
    return live.client;
  }

  hasClient(accountID: string): boolean {
    return this.live.has(accountID);
  }

  /** Finds a chat by ID or localChatID, or fails with 404. */
  async chat(idOrLocalID: string): Promise<ChatRecord> {
    const chat = await this.repo.getChat(idOrLocalID);
    if (!chat) throw chatNotFound(idOrLocalID);
    return chat;
  }

  /** A chat's key and version (cheaper than the chat, for cached views); 404 when there is no such chat. */
  async chatVersion(idOrLocalID: string): Promise<{ localID: number; version: number }> {
    const current = await this.repo.getChatVersion(idOrLocalID);
    if (!current) throw chatNotFound(idOrLocalID);
    return current;
  }

  async account(accountID: string): Promise<AccountRecord> {
    const account = await this.repo.getAccount(accountID);
    if (!account) throw notFound('ACCOUNT_NOT_FOUND', `No account has the ID "${accountID}". GET /v1/accounts lists them.`);
    return account;
  }

  async chatRef(chat: ChatRecord): Promise<ChatRef> {
    let entry = this.chatCache.get(chat.id);
    if (!entry || entry.version !== chat.version) {
      const account = await this.account(chat.accountID);
      const members = await this.repo.participantIDs(chat.localID);
      entry = { version: chat.version, ref: { id: chat.id, remoteID: chat.remoteID, type: chat.type, participantIDs: members.filter((id) => id !== account.selfUserID), isMessageRequest: chat.isMessageRequest } };
      if (this.chatCache.size >= CHAT_CACHE_SIZE) this.chatCache.clear();
      this.chatCache.set(chat.id, entry);
    }
    return entry.ref;
  }

  /** Capabilities of a chat as its network declares them; nothing at all when the account is offline. */
  async capabilities(chat: ChatRecord, ref?: ChatRef): Promise<ChatCapabilities> {
    const live = this.live.get(chat.accountID);
    if (!live) return {};
    const r = ref ?? (await this.chatRef(chat));
    const entry = this.chatCache.get(chat.id);
    if (entry?.capabilities && entry.ref === r) return entry.capabilities;
    const capabilities = live.client.capabilities(r);
    if (entry?.ref === r) entry.capabilities = capabilities;
    return capabilities;
  }

  /** A network's display name for an account. */
  async networkName(accountID: string): Promise<string> {
    return this.live.get(accountID)?.record.network ?? (await this.repo.getAccount(accountID))?.network ?? 'Unknown network';
  }

  private contextFor(account: AccountRecord): ConnectorContext {
    const log = this.log.child({ accountID: account.id, connector: account.connector });
    return {
      account: { id: account.id, host: account.host, selfUserID: account.selfUserID, config: account.config },
      log,
      now: () => this.now(),
      userID: (localpart) => userID(localpart, account.host),
      emit: async (event) => {
        if (event.type === 'state') {
          const live = this.live.get(account.id);
          if (live) (live.state = event.state), (live.stateMessage = event.message);
          log.info({ state: event.state, detail: event.message }, 'connection state');
          return;
        }
        await this.ingest.apply(account, event);
      },
      storeMedia: (file) => this.media.storeBytes(file),
      getState: async <T>(key: string) => (await this.repo.getState(account.id, key)) as T | undefined,
      setState: (key, value) => this.repo.setState(account.id, key, value as never),
    };
  }
}

const chatNotFound = (idOrLocalID: string) => notFound('CHAT_NOT_FOUND', `No chat has the ID or local ID "${idOrLocalID}".`);
