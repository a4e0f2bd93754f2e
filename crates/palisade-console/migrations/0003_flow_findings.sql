-- Judged Hubble flows that showed something (`POST /api/v1/flows`), one row
-- per cluster, finding and flow with its repeats, and the judging totals per
-- cluster. One text for both backends: `{{id}}` is each dialect's key.
CREATE TABLE flow_findings (
    id {{id}},
    cluster TEXT NOT NULL,
    flow TEXT NOT NULL,
    finding TEXT NOT NULL,
    layer TEXT NOT NULL,
    severity TEXT NOT NULL,
    policy TEXT NOT NULL,
    namespace TEXT NOT NULL,
    body TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    UNIQUE (cluster, flow, finding)
);
CREATE INDEX flow_findings_last_seen ON flow_findings (last_seen);
CREATE TABLE flow_counts (
    cluster TEXT NOT NULL,
    name TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (cluster, name)
);
-- Every cluster heard of (the pages' cluster picker), and the alert totals
-- per cluster and routing (the summary of one cluster), both filled from
-- what is stored already.
CREATE TABLE clusters (
    name TEXT PRIMARY KEY
);
INSERT INTO clusters (name)
    SELECT cluster FROM runs UNION SELECT cluster FROM alerts UNION SELECT cluster FROM decision_counts;
CREATE TABLE cluster_alert_counts (
    cluster TEXT NOT NULL,
    routed TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (cluster, routed)
);
INSERT INTO cluster_alert_counts (cluster, routed, n)
    SELECT cluster, routed, COUNT(*) FROM alerts GROUP BY cluster, routed;
-- Rule tags switched on or off (`PUT /api/v1/tags/{name}`): a rule with a
-- tag switched off does not alert, as Falco's `-T`.
CREATE TABLE tag_states (
    name TEXT PRIMARY KEY,
    enabled BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
