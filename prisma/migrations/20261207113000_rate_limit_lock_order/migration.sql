-- The throttle's consume as one function (lib/auth/throttle.ts, issue 26 items 2 and 4).
--
-- One order for every lock on rate_limits: a statement that locks several counters locks them in
-- the byte order of their keys (COLLATE "C", the same on every server), so two statements can
-- never wait on each other in a cycle (the login's consume and a concurrent refund deadlocked,
-- SQLSTATE 40P01, when each took the rows in its own order).
--
-- All or nothing: every counter is locked and read first, only when none of them is used up does
-- the attempt take a point from each. A counter already used up refuses before any lock. An attempt that one limit refuses is never counted by
-- another (an address over its own limit could otherwise still lock any account out).
--
-- Each statement in a PL/pgSQL function gets its own snapshot (READ COMMITTED), so a counter
-- another transaction inserted a moment ago is seen, and locked, by the next SELECT here.
--
-- IMPORTANT: no semicolon may appear in this file except between statements (the offline
-- migration path splits a script on every one, see 20261201213000_session_revoked_notify), so the
-- function body is an E'' string that writes each of its semicolons as \073.
CREATE FUNCTION consume_rate_limits(
  p_now timestamptz,
  p_keys text[],
  p_limits int[],
  p_expires timestamptz[]
) RETURNS TABLE (allowed boolean, retry_at timestamptz)
LANGUAGE plpgsql VOLATILE AS E'
DECLARE
  i int\073
  v_points int\073
  v_expire timestamptz\073
  v_retry timestamptz := NULL\073
BEGIN
  -- A counter already used up refuses at once, with no lock and no write: a flood of refused
  -- attempts queues on no row and leaves nothing behind. (Read without a lock, so it may be a
  -- moment old: a refusal a concurrent refund would just have avoided is the same as arriving a
  -- moment earlier. Admission below is decided only under the locks.)
  SELECT max(r.expire) INTO v_retry
  FROM rate_limits r JOIN unnest(p_keys, p_limits) AS k(key, lim) ON r.key = k.key
  WHERE r.expire > p_now AND r.points >= k.lim\073
  IF v_retry IS NOT NULL THEN
    RETURN QUERY SELECT false, v_retry\073
    RETURN\073
  END IF\073
  FOR i IN
    SELECT k.n FROM unnest(p_keys) WITH ORDINALITY AS k(key, n) ORDER BY k.key COLLATE "C"
  LOOP
    LOOP
      SELECT r.points, r.expire INTO v_points, v_expire
      FROM rate_limits r WHERE r.key = p_keys[i] FOR UPDATE\073
      EXIT WHEN FOUND\073
      -- A missing counter: create it empty (waits for a concurrent insert of the same key to
      -- commit), then lock it on the next pass.
      INSERT INTO rate_limits (key, points, expire) VALUES (p_keys[i], 0, p_expires[i])
      ON CONFLICT (key) DO NOTHING\073
    END LOOP\073
    IF v_expire > p_now AND v_points >= p_limits[i] THEN
      v_retry := GREATEST(v_retry, v_expire)\073
    END IF\073
  END LOOP\073
  IF v_retry IS NULL THEN
    -- Every row here is already locked by this transaction: this update waits on nobody.
    UPDATE rate_limits r SET
      points = CASE WHEN r.expire > p_now THEN r.points + 1 ELSE 1 END,
      expire = CASE WHEN r.expire > p_now THEN r.expire ELSE k.expire END
    FROM unnest(p_keys, p_expires) AS k(key, expire)
    WHERE r.key = k.key\073
  END IF\073
  RETURN QUERY SELECT v_retry IS NULL, v_retry\073
END
';
