// Versioned schema. Each entry moves the database from version i to i+1 and runs
// in one transaction; PRAGMA user_version records where a database stands.
/** The full-text index's tokenizer (also used to cut search words the same way). */
export const FTS_TOKENIZER = 'unicode61 remove_diacritics 2';

export const MIGRATIONS: string[] = [
  /* 1: initial schema */ `
  CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    connector    TEXT NOT NULL,
    network      TEXT NOT NULL,
    bridge_id    TEXT NOT NULL,
    bridge_type  TEXT NOT NULL,
    provider     TEXT NOT NULL,
    host         TEXT NOT NULL,
    self_user_id TEXT NOT NULL,
    config       TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
  );

  CREATE TABLE users (
    account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    full_name      TEXT,
    username       TEXT,
    phone_number   TEXT,
    email          TEXT,
    img_url        TEXT,
    cannot_message INTEGER NOT NULL DEFAULT 0,
    is_self        INTEGER NOT NULL DEFAULT 0,
    is_contact     INTEGER NOT NULL DEFAULT 0,
    search_text    TEXT NOT NULL DEFAULT '',  -- folded name, handle, phone, email
    sort_name      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, id)
  ) WITHOUT ROWID;
  CREATE INDEX users_contacts ON users(account_id, is_contact, sort_name, id);

  CREATE TABLE chats (
    local_id                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                      TEXT NOT NULL UNIQUE,
    account_id              TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id               TEXT NOT NULL,
    type                    TEXT NOT NULL CHECK (type IN ('single','group')),
    title                   TEXT NOT NULL DEFAULT '',
    custom_title            TEXT,
    description             TEXT,
    img_url                 TEXT,
    is_read_only            INTEGER NOT NULL DEFAULT 0,
    last_activity           INTEGER NOT NULL,
    unread_count            INTEGER NOT NULL DEFAULT 0,
    unread_mentions_count   INTEGER NOT NULL DEFAULT 0,
    last_read_sort_key      INTEGER,
    is_marked_unread        INTEGER NOT NULL DEFAULT 0,
    is_archived             INTEGER NOT NULL DEFAULT 0,
    is_muted                INTEGER NOT NULL DEFAULT 0,
    is_pinned               INTEGER NOT NULL DEFAULT 0,
    is_low_priority         INTEGER NOT NULL DEFAULT 0,
    message_expiry_seconds  INTEGER,
    draft                   TEXT,
    reminder                TEXT,
    participant_count       INTEGER NOT NULL DEFAULT 0,
    search_title            TEXT NOT NULL DEFAULT '',  -- folded title + network
    search_people           TEXT NOT NULL DEFAULT '',  -- folded member names
    created_at              INTEGER NOT NULL,
    UNIQUE (account_id, remote_id)
  );
  CREATE INDEX chats_activity ON chats(last_activity, local_id);
  CREATE INDEX chats_account_activity ON chats(account_id, last_activity, local_id);

  CREATE TABLE participants (
    chat_local_id  INTEGER NOT NULL REFERENCES chats(local_id) ON DELETE CASCADE,
    account_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    position       INTEGER NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    is_pending     INTEGER NOT NULL DEFAULT 0,
    is_network_bot INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_local_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX participants_user ON participants(account_id, user_id);

  CREATE TABLE messages (
    row_id           INTEGER PRIMARY KEY,
    id               TEXT NOT NULL,
    chat_local_id    INTEGER NOT NULL REFERENCES chats(local_id) ON DELETE CASCADE,
    remote_id        TEXT,
    pending_id       TEXT,
    sort_key         INTEGER NOT NULL,
    timestamp        INTEGER NOT NULL,
    sender_id        TEXT NOT NULL,
    sender_name      TEXT,
    type             TEXT NOT NULL,
    text             TEXT,
    plain            TEXT,
    edited_at        INTEGER,
    edit_count       INTEGER NOT NULL DEFAULT 0,
    is_sender        INTEGER NOT NULL DEFAULT 0,
    send_status      TEXT,
    is_hidden        INTEGER NOT NULL DEFAULT 0,
    is_deleted       INTEGER NOT NULL DEFAULT 0,
    attachments      TEXT,
    linked_message_id TEXT,
    mentions         TEXT,
    links            TEXT,
    seen             TEXT,
    mentions_self    INTEGER NOT NULL DEFAULT 0,
    media_flags      INTEGER NOT NULL DEFAULT 0,  -- 1 image, 2 video, 4 file/audio, 8 link
    UNIQUE (chat_local_id, id),
    UNIQUE (chat_local_id, sort_key)
  );
  CREATE UNIQUE INDEX messages_pending ON messages(chat_local_id, pending_id) WHERE pending_id IS NOT NULL;
  -- Sort keys are unique across all chats: they double as the full-text index's rowids.
  CREATE UNIQUE INDEX messages_sort ON messages(sort_key);
  CREATE INDEX messages_outbox ON messages(row_id) WHERE is_sender = 1 AND remote_id IS NULL;

  -- Full-text index over the folded plain text of messages (fold() is registered by
  -- openDatabase: lowercase, accents and letters like ł/ø reduced). Contentless, so
  -- the folded text is indexed but not stored twice; detail=none, because search needs
  -- words and prefixes, never phrases or positions. Its rowids are the messages' sort
  -- keys, so reading it backwards by rowid yields matches newest first, without
  -- sorting them all. New messages are indexed by the store's one insert path, a batch
  -- at a time in the inserting transaction (much faster than a per-row trigger);
  -- updates and deletes are kept in step by triggers.
  -- prefix: the last word of a query is a prefix ("din" finds "dinner"); indexes of
  -- 1- to 3-letter prefixes keep short prefixes from expanding to thousands of words.
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = '', contentless_delete = 1, detail = none, prefix = '1 2 3',
    tokenize = '${FTS_TOKENIZER}'
  );
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.plain IS NOT NULL BEGIN
    DELETE FROM messages_fts WHERE rowid = old.sort_key;
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF plain ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.sort_key;
    INSERT INTO messages_fts(rowid, text) SELECT new.sort_key, fold(new.plain) WHERE new.plain IS NOT NULL;
  END;

  CREATE TABLE reactions (
    message_row_id INTEGER NOT NULL REFERENCES messages(row_id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL,
    key            TEXT NOT NULL,
    emoji          INTEGER NOT NULL DEFAULT 1,
    img_url        TEXT,
    timestamp      INTEGER NOT NULL,
    PRIMARY KEY (message_row_id, participant_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    path       TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    duration   REAL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE media (
    url        TEXT PRIMARY KEY,
    path       TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    duration   REAL
  );

  CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    client_id    TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
  );

  CREATE TABLE connector_state (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
  ) WITHOUT ROWID;
  `,
  /* 2: durable event log (resumable WebSocket delivery) and OAuth clients and codes */ `
  CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,  -- the eventID clients resume from
    type    TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    ids     TEXT NOT NULL,                      -- JSON array of chat or message IDs
    ts      INTEGER NOT NULL
  );
  CREATE INDEX events_ts ON events(ts);

  CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,                -- JSON array
    scopes        TEXT NOT NULL,
    metadata      TEXT NOT NULL DEFAULT '{}',   -- the rest of the registration, as sent
    created_at    INTEGER NOT NULL
  );

  CREATE TABLE oauth_codes (
    hash           TEXT PRIMARY KEY,            -- SHA-256 of the code; the code itself is never stored
    client_id      TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    token_id       TEXT                         -- the token it was exchanged for (revoked if the code is replayed)
  );
  `,
  /* 3: disappearing messages */ `
  ALTER TABLE messages ADD COLUMN expires_at INTEGER;
  CREATE INDEX messages_expiry ON messages(expires_at) WHERE expires_at IS NOT NULL;
  `,
  /* 4: members in their order, without sorting */ `
  CREATE INDEX participants_position ON participants(chat_local_id, position);
  `,
  /* 5: a version per chat, bumped by any change to the chat, its members, its messages or their reactions */ `
  ALTER TABLE chats ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  CREATE TRIGGER chats_version AFTER UPDATE ON chats WHEN new.version = old.version BEGIN
    UPDATE chats SET version = old.version + 1 WHERE local_id = new.local_id;
  END;
  CREATE TRIGGER participants_version_insert AFTER INSERT ON participants BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = new.chat_local_id;
  END;
  CREATE TRIGGER participants_version_delete AFTER DELETE ON participants BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = old.chat_local_id;
  END;
  CREATE TRIGGER messages_version_update AFTER UPDATE ON messages BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = new.chat_local_id;
  END;
  CREATE TRIGGER messages_version_delete AFTER DELETE ON messages BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = old.chat_local_id;
  END;
  CREATE TRIGGER reactions_version_insert AFTER INSERT ON reactions BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = (SELECT chat_local_id FROM messages WHERE row_id = new.message_row_id);
  END;
  CREATE TRIGGER reactions_version_update AFTER UPDATE ON reactions BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = (SELECT chat_local_id FROM messages WHERE row_id = new.message_row_id);
  END;
  CREATE TRIGGER reactions_version_delete AFTER DELETE ON reactions BEGIN
    UPDATE chats SET version = version + 1 WHERE local_id = (SELECT chat_local_id FROM messages WHERE row_id = old.message_row_id);
  END;
  `,
  /* 6: the folded search texts move out of chats: long for big groups, they made every chat row a chain of pages */ `
  CREATE TABLE chat_search (
    local_id  INTEGER PRIMARY KEY REFERENCES chats(local_id) ON DELETE CASCADE,
    title     TEXT NOT NULL DEFAULT '',  -- folded title + network
    people    TEXT NOT NULL DEFAULT ''   -- folded member names
  );
  INSERT INTO chat_search (local_id, title, people) SELECT local_id, search_title, search_people FROM chats;
  ALTER TABLE chats DROP COLUMN search_title;
  ALTER TABLE chats DROP COLUMN search_people;
  `,
  /* 7: message requests: chats from people outside the user's contacts wait to be accepted */ `
  ALTER TABLE chats ADD COLUMN is_message_request INTEGER NOT NULL DEFAULT 0;
  `,
  /* 8: the full-text index holds up to 8 MiB of new entries in memory (default 1 MiB) before writing them out */ `
  -- A batch of messages is indexed in one transaction; FTS5 writes what it holds
  -- out as a new segment whenever that exceeds 'hashsize', and merges segments as
  -- they pile up. At 1 MiB a batch of 20,000 generated messages became several
  -- segments (more merging later); at 8 MiB it is one. A small write still becomes
  -- one segment at its commit, as before: only the memory a large batch may use
  -- grows. The setting is kept in messages_fts_config.
  INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 8388608);
  `,
  /* 9: a lighter full-text index: no per-message sizes, no 1-letter prefixes (at 1M messages a bulk load's floor rose by about half) */ `
  -- columnsize=0 drops FTS5's table of per-message token counts: one more B-tree
  -- insert per message, at a random place (the rowids are sort keys), kept for
  -- ranking, which search never does. Without it FTS5 cannot delete a row by its
  -- rowid alone (contentless_delete), so the triggers delete a row by giving the
  -- text it was indexed with, fold(old.plain). Hence fold() must never change
  -- without a migration that rebuilds this index, as this one does.
  -- A 1-letter prefix matches most messages; its index was the largest of the
  -- three. Search takes a 1-letter last word as a whole word (see ftsQuery).
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  DROP TABLE messages_fts;
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = '', columnsize = 0, detail = none, prefix = '2 3',
    tokenize = '${FTS_TOKENIZER}'
  );
  INSERT INTO messages_fts(messages_fts, rank) VALUES ('hashsize', 8388608);
  INSERT INTO messages_fts(rowid, text) SELECT sort_key, fold(plain) FROM messages WHERE plain IS NOT NULL ORDER BY sort_key;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.plain IS NOT NULL BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.sort_key, fold(old.plain));
  END;
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF plain ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) SELECT 'delete', old.sort_key, fold(old.plain) WHERE old.plain IS NOT NULL;
    INSERT INTO messages_fts(rowid, text) SELECT new.sort_key, fold(new.plain) WHERE new.plain IS NOT NULL;
  END;
  `,
  /* 10: a member list bumps its chat's version once, not once per member */ `
  -- The store writes members only by replacing a chat's list, and that updates the
  -- chat's member count, which bumps its version (chats_version). These triggers
  -- bumped it again for every member added or removed: a group of 300 cost 300
  -- more chat-row updates.
  DROP TRIGGER participants_version_insert;
  DROP TRIGGER participants_version_delete;
  `,
  /* 11: the full-text index moves to a file of its own, kept up from a queue of changes (see search-index.ts) */ `
  -- The index is built afresh in its new file from the messages when the store
  -- next opens (search-index.ts: a missing index file is built from the store).
  DROP TRIGGER messages_fts_delete;
  DROP TRIGGER messages_fts_update;
  DROP TABLE messages_fts;
  -- Changes the index must follow, in the order they were made: a range of new rows
  -- (sort_key NULL; queued by the store's insert path, one entry per batch), or a
  -- row whose text or sort key changed or that was deleted, with the sort key and
  -- text it had (queued by the triggers below). AUTOINCREMENT: numbers are never
  -- reused, since the index records the last one it applied.
  CREATE TABLE search_queue (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    first_row INTEGER NOT NULL,
    last_row  INTEGER NOT NULL,
    sort_key  INTEGER,
    old_text  TEXT
  );
  -- Ties the index file to this store: an index file of another store is rebuilt.
  CREATE TABLE search_link (store_id TEXT NOT NULL);
  INSERT INTO search_link (store_id) VALUES (lower(hex(randomblob(16))));
  CREATE TRIGGER messages_search_delete AFTER DELETE ON messages WHEN old.plain IS NOT NULL BEGIN
    INSERT INTO search_queue (first_row, last_row, sort_key, old_text) VALUES (old.row_id, old.row_id, old.sort_key, old.plain);
  END;
  CREATE TRIGGER messages_search_update AFTER UPDATE OF plain, sort_key ON messages
    WHEN old.plain IS NOT new.plain OR old.sort_key != new.sort_key BEGIN
    INSERT INTO search_queue (first_row, last_row, sort_key, old_text) VALUES (old.row_id, old.row_id, old.sort_key, old.plain);
  END;
  `,
];
