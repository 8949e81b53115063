-- The tables of a kuma.db that the importer reads, with the column names
-- and types Uptime Kuma 2.x creates (db/knex_init_db.js and its migrations),
-- and rows as its UI writes them.
CREATE TABLE monitor (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(150), active BOOLEAN NOT NULL DEFAULT 1, user_id INTEGER,
    interval INTEGER NOT NULL DEFAULT 20, url TEXT, type VARCHAR(20), weight INTEGER DEFAULT 2000, hostname VARCHAR(255), port INTEGER,
    created_date DATETIME NOT NULL DEFAULT (DATETIME('now')), keyword VARCHAR(255), maxretries INTEGER NOT NULL DEFAULT 0,
    ignore_tls BOOLEAN NOT NULL DEFAULT 0, upside_down BOOLEAN NOT NULL DEFAULT 0, maxredirects INTEGER NOT NULL DEFAULT 10,
    accepted_statuscodes_json TEXT NOT NULL DEFAULT '["200-299"]', dns_resolve_type VARCHAR(5), dns_resolve_server VARCHAR(255),
    dns_last_result VARCHAR(255), retry_interval INTEGER NOT NULL DEFAULT 0, push_token VARCHAR(32) DEFAULT NULL,
    method TEXT NOT NULL DEFAULT 'GET', body TEXT DEFAULT NULL, headers TEXT DEFAULT NULL, basic_auth_user TEXT DEFAULT NULL,
    basic_auth_pass TEXT DEFAULT NULL, resend_interval INTEGER NOT NULL DEFAULT 0, packet_size INTEGER NOT NULL DEFAULT 56,
    http_body_encoding VARCHAR(25), description TEXT DEFAULT NULL, parent INTEGER REFERENCES monitor(id), invert_keyword BOOLEAN NOT NULL DEFAULT 0,
    json_path TEXT, expected_value VARCHAR(255), timeout DOUBLE NOT NULL DEFAULT 0
);
CREATE TABLE notification (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255), active BOOLEAN NOT NULL DEFAULT 1, user_id INTEGER,
    is_default BOOLEAN NOT NULL DEFAULT 0, config TEXT);
CREATE TABLE monitor_notification (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL, notification_id INTEGER NOT NULL);
CREATE TABLE tag (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255) NOT NULL, color VARCHAR(255) NOT NULL, created_date DATETIME NOT NULL DEFAULT (DATETIME('now')));
CREATE TABLE monitor_tag (id INTEGER PRIMARY KEY AUTOINCREMENT, monitor_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, value TEXT);

INSERT INTO notification (id, name, active, user_id, is_default, config) VALUES
 (1, 'Ops Slack', 1, 1, 1, '{"name":"Ops Slack","type":"slack","isDefault":true,"slackwebhookURL":"https://hooks.slack.com/services/T000/B000/XXXX"}'),
 (2, 'Webhook', 1, 1, 0, '{"name":"Webhook","type":"webhook","webhookURL":"https://hooks.example.com/kuma","webhookContentType":"json"}'),
 (3, 'Pushover', 1, 1, 0, '{"name":"Pushover","type":"pushover","pushoveruserkey":"u","pushoverapptoken":"a"}');
INSERT INTO monitor (id, name, type, url, interval, maxretries, active, parent, timeout) VALUES (1, 'Payments', 'group', NULL, 60, 0, 1, NULL, 48);
INSERT INTO monitor (id, name, type, url, interval, maxretries, active, parent, timeout, accepted_statuscodes_json, headers) VALUES
 (2, 'Payments API', 'http', 'https://pay.example.com/health', 45, 1, 1, 1, 36, '["200-299"]', '{"Accept":"application/json"}');
INSERT INTO monitor (id, name, type, hostname, port, interval, maxretries, active, parent, timeout) VALUES
 (3, 'Payments DB', 'port', 'paydb.internal', 5432, 60, 2, 1, 1, 48);
INSERT INTO monitor (id, name, type, interval, maxretries, active, push_token) VALUES (4, 'Reconciliation job', 'push', 3600, 0, 1, 'abcDEF123');
INSERT INTO monitor (id, name, type, url, interval, maxretries, active, keyword, invert_keyword, timeout) VALUES
 (5, 'Status banner', 'keyword', 'https://pay.example.com/status', 60, 0, 1, 'degraded', 1, 48);
INSERT INTO monitor (id, name, type, url, interval, active) VALUES (6, 'Checkout flow', 'real-browser', 'https://pay.example.com/checkout', 300, 1);
INSERT INTO monitor_notification (monitor_id, notification_id) VALUES (2, 1), (2, 2), (3, 3), (4, 1);
INSERT INTO tag (id, name, color) VALUES (1, 'finance', '#7C3AED');
INSERT INTO monitor_tag (monitor_id, tag_id, value) VALUES (4, 1, ''), (5, 1, 'banner');
