-- Every change to what servers keep in memory notifies the channel
-- fnurl_changes at commit (nothing if the transaction rolls back), so that
-- every node sharing the database forgets what it read (package postgres,
-- WatchChanges). The audit trail is not kept in memory and is written all
-- the time, so it does not notify; nor does recording the last use of an
-- access key (its last_used_* columns), done once a minute per key.
CREATE FUNCTION fnurl_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('fnurl_changes', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

CREATE TRIGGER access_keys_changed AFTER INSERT OR DELETE OR TRUNCATE
	OR UPDATE OF access_key_id, user_id, is_root, status, secret_sealed, created_at
	ON access_keys FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policies FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER policy_versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_versions FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER groups_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON groups FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER group_members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_members FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER roles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER policy_attachments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_attachments FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER inline_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inline_policies FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER entity_tags_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entity_tags FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER code_blobs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON code_blobs FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER functions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON functions FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER function_versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON function_versions FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER function_aliases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON function_aliases FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER function_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON function_policies FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
CREATE TRIGGER function_urls_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON function_urls FOR EACH STATEMENT EXECUTE FUNCTION fnurl_notify_change();
