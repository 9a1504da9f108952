"""Query files: anchors with their options, and the parts of each SQL statement mplint checks."""

from __future__ import annotations

from pathlib import Path

from mplint.model.query import parse_query_file, split_list, tokenize
from mplint.source import SourceFile

QUERY = """/*+ exists, retries=3, retry_delay=5 */
SELECT COUNT(*) as count FROM
(
SELECT vpc_id,
json_group_object(tag_key, tag_value) as tags
FROM aws.ec2.vpc_tags
WHERE region = '{{ region }}'
AND cidr_block = '{{ vpc_cidr_block }}'
GROUP BY vpc_id
) t;

/*+ create */
INSERT INTO awscc.ec2.vpcs (
 CidrBlock, -- the range
 Tags,
 region
)
SELECT
 '{{ vpc_cidr_block }}',
 '{{ vpc_tags }}',
 '{{ region }}'
RETURNING *;

/*+ update */
update aws.s3.buckets
set data__PatchDocument = string('{{ {
    "VersioningConfiguration": versioning
    } | generate_patch_document }}')
WHERE region = '{{ region }}'
AND data__Identifier = '{{ bucket_name }}';

  /*+ exports */
SELECT vpc_id, cidr_block AS "vpc_cidr_block"
FROM aws.ec2.vpcs
WHERE region = '{{ region }}' AND data__Identifier = '{{ vpc_id }}';

/*+ delete */
DELETE FROM aws.ec2.vpcs
WHERE data__Identifier = '{{ vpc_id }}'
AND region = '{{ region }}';
"""


def parsed():
    return parse_query_file(SourceFile(Path("q.iql"), "q.iql", QUERY))


def test_anchors_keys_options_and_places() -> None:
    query = parsed()
    assert [a.key for a in query.anchors] == ["exists", "create", "update", "exports", "delete"]
    exists = query.anchors[0]
    assert exists.options == {"retries": "3", "retry_delay": "5"}
    span = exists.option_spans["retry_delay"]
    assert (span.line, span.col, span.end_col) == (1, 24, 37)
    assert query.anchors[3].indented and query.anchor("exports") is None


def test_the_last_of_two_anchors_is_used() -> None:
    text = "/*+ exists */\nSELECT 1 as count;\n/*+ exists */\nSELECT 2 as count;\n"
    query = parse_query_file(SourceFile(Path("q.iql"), "q.iql", text))
    assert query.anchor("exists") is query.anchors[1]


def test_select_blocks_outermost_first() -> None:
    query = parsed()
    (statement,) = query.anchors[0].statements(query.source)
    assert statement.kind == "select"
    top, inner = statement.blocks
    assert [(c.name, c.aggregate) for c in top.columns] == [("count", "COUNT")]
    assert top.tables == [] and top.joined is False
    assert [t.name for t in inner.tables] == ["aws.ec2.vpc_tags"]
    assert [c.name for c in inner.columns] == ["vpc_id", "tags"]
    assert [(p.name.name, p.value) for p in inner.where] == [
        ("region", "'{{ region }}'"),
        ("cidr_block", "'{{ vpc_cidr_block }}'"),
    ]
    assert inner.where[1].name.span.line == 8


def test_with_clause_main_select_is_the_top() -> None:
    text = (
        "/*+ exists */\nWITH a AS (SELECT x FROM aws.ec2.vpcs_list_only WHERE region = 'r')\n"
        "SELECT a.x AS vpc_id FROM a;\n"
    )
    query = parse_query_file(SourceFile(Path("q.iql"), "q.iql", text))
    (statement,) = query.anchors[0].statements(query.source)
    assert statement.top is not None and [c.name for c in statement.top.columns] == ["vpc_id"]


def test_insert_columns_values_comments_and_returning() -> None:
    query = parsed()
    insert = query.insert()
    assert insert is not None
    assert insert.target.text == "awscc.ec2.vpcs"
    assert [c.text for c in insert.columns] == ["CidrBlock", "Tags", "region"]
    assert [v.text for v in insert.values] == ["'{{ vpc_cidr_block }}'", "'{{ vpc_tags }}'", "'{{ region }}'"]
    assert (insert.columns[0].span.line, insert.columns[0].span.col) == (14, 2)


def test_update_target_sets_and_where() -> None:
    query = parsed()
    (statement,) = query.anchors[2].statements(query.source)
    assert statement.kind == "update" and statement.target and statement.target.name == "aws.s3.buckets"
    assert [p.name.name for p in statement.sets] == ["data__PatchDocument"]
    assert "generate_patch_document" in statement.sets[0].value
    assert {p.name.name for p in statement.params} == {"region", "data__Identifier", "data__PatchDocument"}


def test_quoted_alias_and_delete_params() -> None:
    query = parsed()
    (exports,) = query.anchors[3].statements(query.source)
    assert [(c.name, c.column) for c in exports.top.columns] == [("vpc_id", "vpc_id"), ("vpc_cidr_block", "cidr_block")]
    (delete,) = query.anchors[4].statements(query.source)
    assert delete.kind == "delete" and [p.name.name for p in delete.params] == ["data__Identifier", "region"]


def test_tokens_keep_jinja_inside_strings_whole() -> None:
    text = "SELECT 'a''b {{ x | f(\"'\") }} c' AS v, \"q\" FROM t -- note\nWHERE a IN (1, 2);"
    tokens = tokenize(text, 0, len(text))
    assert [t.kind for t in tokens][:4] == ["word", "string", "word", "word"]
    assert tokens[1].text == "'a''b {{ x | f(\"'\") }} c'"
    assert [t.depth for t in tokens if t.text in ("1", "2")] == [1, 1]


def test_unclosed_input_never_fails() -> None:
    for text in (
        "SELECT '{{ x",
        "UPDATE",
        "DELETE FROM",
        "INSERT INTO t (",
        "SELECT (((",
        "/*+ create */\nINSERT INTO",
    ):
        query = parse_query_file(SourceFile(Path("q.iql"), "q.iql", "/*+ exists */\n" + text))
        for anchor in query.anchors:
            anchor.statements(query.source)
        query.insert()


def test_split_list_leaves_comments_out() -> None:
    text = "(a, -- one\n b -- two\n, c)"
    items, close = split_list(SourceFile(Path("q"), "q", text), 1, len(text), ")")
    assert [i.text for i in items] == ["a", "b", "c"] and close == len(text) - 1
