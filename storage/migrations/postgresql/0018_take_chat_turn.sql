-- A chat's turn taken and its waiting updates read in one round trip (bot/turns.py, on the
-- instance's lock connection). The read is a statement of its own inside the function, so
-- in READ COMMITTED it has a fresh snapshot taken after the lock: it sees the done marks the
-- previous holder committed before letting go. The first column says whether the turn was
-- taken; a taken turn with nothing waiting is one row of NULLs.
CREATE FUNCTION take_chat_turn(chat BIGINT, max_rows INTEGER)
RETURNS TABLE (taken BOOLEAN, update_id BIGINT, payload TEXT, session TEXT)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT pg_try_advisory_lock(chat) THEN
        RETURN QUERY SELECT false, NULL::BIGINT, NULL::TEXT, NULL::TEXT;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT true, i.update_id, i.payload, s.state
        FROM inbox AS i LEFT JOIN user_sessions AS s ON s.user_id = i.chat_key
        WHERE i.done = 0 AND i.chat_key = chat
        ORDER BY i.update_id LIMIT max_rows;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::BIGINT, NULL::TEXT, NULL::TEXT;
    END IF;
END
$$;
