// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ABI structs as the BPF compiler laid them out (BTF of the built
 * object) must match what the daemon's compiler sees: same sizes, same
 * member offsets. Catches a header edited on one side's assumptions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biothings/conn.h"
#include "biothings/events.h"

static struct btf *btf;

static const struct btf_type *find(const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	assert_true(id > 0);
	return btf__type_by_id(btf, id);
}

static long member_offset(const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return btf_member_bit_offset(t, i) / 8;
	fail_msg("member %s missing", name);
	return -1;
}

#define SAME_MEMBER(type, field) \
	assert_int_equal(member_offset(find(#type), #field), offsetof(struct type, field))

static void test_http_record(void **state)
{
	(void)state;
	assert_int_equal(find("bt_http_record")->size, sizeof(struct bt_http_record));
	assert_int_equal(find("bt_event_hdr")->size, sizeof(struct bt_event_hdr));
	SAME_MEMBER(bt_http_record, start_ns);
	SAME_MEMBER(bt_http_record, status);
	SAME_MEMBER(bt_http_record, laddr);
	SAME_MEMBER(bt_http_record, comm);
	SAME_MEMBER(bt_http_record, path);
}

static void test_process_records(void **state)
{
	(void)state;
	assert_int_equal(find("bt_exec_record")->size, sizeof(struct bt_exec_record));
	assert_int_equal(find("bt_priv_record")->size, sizeof(struct bt_priv_record));
	SAME_MEMBER(bt_priv_record, new_euid);
	SAME_MEMBER(bt_priv_record, via);
	SAME_MEMBER(bt_priv_record, caps_gained);
	SAME_MEMBER(bt_priv_record, comm);
	assert_int_equal(find("bt_flow_record")->size, sizeof(struct bt_flow_record));
	SAME_MEMBER(bt_flow_record, bytes_sent);
	SAME_MEMBER(bt_flow_record, start_ns);
	SAME_MEMBER(bt_flow_record, dport);
	SAME_MEMBER(bt_flow_record, daddr);
	SAME_MEMBER(bt_flow_record, comm);
	SAME_MEMBER(bt_flow_record, outcome);
	SAME_MEMBER(bt_flow_record, err);
	assert_int_equal(find("bt_reqhead_record")->size, sizeof(struct bt_reqhead_record));
	SAME_MEMBER(bt_reqhead_record, conn_id);
	SAME_MEMBER(bt_reqhead_record, len);
	SAME_MEMBER(bt_reqhead_record, flags);
	SAME_MEMBER(bt_reqhead_record, data);
}

static void test_db_records(void **state)
{
	(void)state;
	assert_int_equal(find("bt_dbio_record")->size, sizeof(struct bt_dbio_record));
	SAME_MEMBER(bt_dbio_record, io_len);
	SAME_MEMBER(bt_dbio_record, tail_len);
	SAME_MEMBER(bt_dbio_record, rport);
	SAME_MEMBER(bt_dbio_record, raddr);
	SAME_MEMBER(bt_dbio_record, head);
	SAME_MEMBER(bt_dbio_record, tail);
	assert_int_equal(find("bt_retrans_key")->size, sizeof(struct bt_retrans_key));
	SAME_MEMBER(bt_retrans_key, port);
	SAME_MEMBER(bt_retrans_key, family);
}

static void test_conn_state(void **state)
{
	(void)state;
	assert_int_equal(find("bt_conn")->size, sizeof(struct bt_conn));
	assert_int_equal(find("h1_dir")->size, sizeof(struct h1_dir));
	SAME_MEMBER(bt_conn, req);
	SAME_MEMBER(bt_conn, resp);
	SAME_MEMBER(bt_conn, pend);
	SAME_MEMBER(h1_dir, phase);
	SAME_MEMBER(bt_conn_key, fd);
	SAME_MEMBER(bt_config, enabled);
	SAME_MEMBER(bt_config, inspect_bytes);
	SAME_MEMBER(bt_conn, inspect_left);
	SAME_MEMBER(bt_conn, owner_tgid);
	SAME_MEMBER(bt_conn, owner_cgroup);
	SAME_MEMBER(bt_conn, owner_comm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_record),
		cmocka_unit_test(test_process_records),
		cmocka_unit_test(test_db_records),
		cmocka_unit_test(test_conn_state),
	};
	const char *obj = getenv("BT_BPF_OBJECT");

	btf = btf__parse_elf(obj ? obj : "build/observer.bpf.o", NULL);
	if (!btf) {
		fprintf(stderr, "cannot read BTF of the BPF object; build it first\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
