"""The report's words in Japanese and English, by key (finding slugs' own words
come from the finding catalog, :mod:`ikou.findings`).

Longer than 500 lines: two languages' words, one key per line; the module is data."""

from __future__ import annotations

__all__ = ["LABELS"]

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "移行リハーサル報告書",
        "title_production": "本番移行報告書",
        "refused": "実行せず",
        "unchanged": "変更なし",
        "changed": "変更あり",
        "preflight": "事前確認",
        "cross_controls": "テーブル間の管理合計",
        "expectations": "データセット全体の期待値（great-expectations）",
        "expectation": "期待値",
        "column": "列",
        "gate_failed": "期待値を満たさないため、移行先には何も登録していません",
        "expectations_failed": "期待値不適合",
        "detail": "内容",
        "check_ok": "合格",
        "check_warn": "注意",
        "check_fail": "不合格",
        "item_rehearsal": "リハーサル",
        "item_scratch": "一時領域",
        "item_swap": "スワップ",
        "item_target": "移行先",
        "item_media": "外部記録媒体",
        "item_media-mounted": "外部記録媒体の接続",
        "item_media-simulated": "外部記録媒体の模擬",
        "item_sources": "移行元ファイル",
        "item_sources unchanged": "移行元ファイルの不変",
        "item_certification": "認証 ",
        "item_signon": "本人確認 ",
        "item_council": "審議会の承認",
        "reason_no_rehearsal": (
            "この計画・マッピング・契約と同一のリハーサルで照合一致したものがありません"
        ),
        "reason_rehearsal_version": (
            "リハーサル {run} は ikou {version} で実行されました（現在は {current}）"
        ),
        "reason_rehearsal_old": "リハーサル {run} は {age} 日前のものです（上限 {limit} 日）",
        "reason_rehearsal_ok": "リハーサル {run}（{age} 日前）",
        "reason_cert_expired": "{date} に有効期限切れ",
        "reason_cert_expiring": "あと {left} 日で有効期限切れ（{date}）",
        "reason_cert_ok": "{date} まで有効",
        "reason_scratch_ram": (
            "一時ファイルはメモリ上の tmpfs（{path}）に置かれ、ディスクには書かれません"
        ),
        "reason_scratch_disk": (
            "メモリ上の一時領域を使えません（{note}）。一時ファイルはすべて暗号化して書きます"
        ),
        "reason_swap_on": "スワップが有効です。メモリの内容がディスクに書かれることがあります",
        "reason_swap_unknown": "この OS ではスワップの有無を確認できません",
        "reason_swap_off": "スワップなし",
        "reason_target_none": "計画に target.url がありません",
        "reason_target_error": "{message}",
        "reason_target_not_empty": "テーブル {table} に {count} 行があります",
        "reason_target_unreachable": "移行先に接続できません（{error}）",
        "reason_target_ok": "接続可能。テーブルは未作成または空です",
        "reason_media_watched": (
            "ikou media watch がこの PC の外部記録媒体を記録しています（{rule}）"
        ),
        "reason_media_not_watched": (
            "計画の媒体の規則（{rule}）には ikou media watch の実行が必要です"
        ),
        "reason_media_mounted": (
            "外部記録媒体が {count} 個接続されています（media: none では禁止）"
        ),
        "reason_media_simulated": "{variable} が設定されています（この PC の媒体ではありません）",
        "reason_target_append": (
            "テーブル {table} に前回までの {count} 行があります"
            "（if_exists: append のため追加します）"
        ),
        "reason_target_files_only": (
            "全テーブルを事業者の取込ファイル（{count} 件）に書き出すため、データベースは使いません"
        ),
        "reason_sources_unreadable": "{problems}",
        "reason_sources_ok": "{count} 個のファイルがあり、読めます",
        "reason_signon_code": "表示された確認コードで確認されていません",
        "reason_signon_nobody": "署名者がいません",
        "reason_signon_not_listed": "{name} はこの計画で {role} として署名できません",
        "reason_signon_terminal": "{name}（端末で入力）",
        "reason_signon_file": "{name}（署名ファイル）",
        "reason_sources_changed": "事前確認の間に移行元ファイルが変わりました",
        "reason_sources_same": "事前確認の開始時と同じ SHA-256 です",
        "reason_council_not_required": "計画により不要：{reason}",
        "reason_council_missing": (
            "計画 {plan} について審議会の決定が記録されていません"
            "（ikou council record で記録します）"
        ),
        "reason_council_rejected": "{body} が {date}（{item}）に計画を承認しませんでした",
        "reason_council_changed": (
            "{date}（{item}）の承認の後に {files} が変わりました。"
            "今の計画についての審議会の決定を記録してください"
        ),
        "reason_council_approved": "{body} が {date}（{item}）に承認",
        "reason_council_conditional": (
            "{body} が {date}（{item}）に条件付きで承認（条件 {count} 件、移行完了確認書に記載）"
        ),
        "purpose_Word .doc handed to LibreOffice": "LibreOffice に渡した Word 文書（.doc）",
        "purpose_LibreOffice conversion to .docx": "LibreOffice による .docx への変換結果",
        "check": "項目",
        "warn": "注意",
        "signon": "立会い・承認の確認",
        "role": "役割",
        "name": "氏名",
        "method": "確認方法",
        "time": "時刻",
        "by_terminal": "端末で入力",
        "by_file": "確認ファイル",
        "signoff": "移行完了確認書",
        "signoff_intro": (
            "上記のとおり本番移行を実施し、移行元と移行先の件数・管理合計・行ハッシュが一致したことを確認しました。"
            ""
        ),
        "artifacts_destroyed": "中間ファイルの消去",
        "date": "日付",
        "seal": "印",
        "witness": "立会人",
        "operator": "作業者",
        "owner": "所管課",
        "council": "審議会の決定",
        "council_quote": "{body} {item}（{date}）：{decision}",
        "council_approved": "承認",
        "council_conditional": "条件付き承認",
        "council_rejected": "不承認",
        "council_none": "記録がありません",
        "council_not_required": "不要（{reason}）",
        "council_other_plan": "この決定は別の版の計画に対するものです",
        "council_conditions": "審議会の条件",
        "council_conditions_intro": (
            "立会人は、各条件が守られたことを確かめ、欄に印を付けてください。"
        ),
        "council_kept": "確認",
        "council_condition": "条件",
        "reconcile_title": "移行後照合報告書",
        "sealed_run": "照合対象の本番移行",
        "manifest": "封印された行ハッシュ一覧（SHA-256）",
        "rows_now": "移行先の行数",
        "other_rows": "他の回の行（追加移行のため照合の対象外）",
        "file_state": "状態",
        "file_unchanged": "変更なし（SHA-256 一致）",
        "file_changed": "変更あり（SHA-256 不一致、またはファイルでないもの）",
        "file_absent": "見当たりません（ikou 以外で移動または削除）",
        "file_shredded": "消去済み（ikou shred）",
        "differences": "相違",
        "source_differences": "移行元を読み直した結果と封印時の相違",
        "change": "種別",
        "key_digest": "キーの鍵付きハッシュ",
        "columns": "列",
        "origin": "移行元の位置",
        "added": "追加",
        "removed": "削除",
        "certificate_title": "データ消去証明書",
        "certificate_intro": (
            "本移行作業で作成された下記のデータを、記載の方法で消去したことを証明します。"
        ),
        "what": "対象",
        "file_name": "ファイル",
        "how": "消去方法",
        "verified": "消去確認",
        "shred_artifact": "中間ファイル",
        "shred_rehearsal_target": "リハーサルの移行先データベース",
        "shred_fingerprints": "レコード指紋（鍵付きハッシュ）",
        "shred_manifest": "封印された行ハッシュ一覧（鍵付きハッシュ）",
        "shred_key": "指紋・行ハッシュの鍵（暗号学的消去）",
        "shred_method": "乱数で上書き・同期・改名・削除",
        "shred_reason_not_ours": "ikou が作成したファイルと一致しないため、触れていません",
        "shred_reason_not_gone": "消去を確認できません",
        "shred_reason_link": "リンク経由のため、触れていません",
        "shred_reason_key_id": "作業フォルダの KEY_ID が鍵の名前ではありません",
        "shred_reason_key_missing": "鍵が鍵保管場所にないため、ここでは消去できません。"
        "保管先で消去するか、無いことを確認してください",
        "run_id": "実行ID",
        "mode": "区分",
        "status": "結果",
        "plan": "計画",
        "plan_sha256": "計画のハッシュ (SHA-256)",
        "generated": "作成日時",
        "purpose_rehearsal_target": "リハーサルの移行先データベース（平文）",
        "target_kept": "保存",
        "target_kept_keep_target": (
            "リハーサルの移行先データベースは、計画の rehearsal: keep_target: true により"
            "実行フォルダに残しています。確認が済んだら ikou shred で消去してください。"
        ),
        "target_kept_rehearsal_url": (
            "リハーサルの移行先は計画の target.rehearsal_url が指すデータベースのため、"
            "残しています。ikou shred で消去できます。"
        ),
        "test_synthetic": "合成データ（{made_by} が作成）",
        "resembling": (
            "移行元 {source} の {n} 件が、本番移行の記録（鍵付き指紋）と偶然一致しました"
            "（少数のため、偶然の一致として扱っています）。"
        ),
        "test_declared": (
            "運用者がテストデータとして申告したファイル（ikou の合成データではありません）"
        ),
        "expect_column_values_to_be_between": "値が範囲内",
        "expect_column_values_to_be_in_set": "定められた値のみ",
        "expect_column_values_to_be_unique": "値が重複しない",
        "expect_column_values_to_match_regex": "書式に合う",
        "expect_column_values_to_match_regex_list": "書式のいずれかに合う",
        "expect_column_values_to_not_be_null": "空欄がない",
        "expect_column_values_to_not_match_regex": "禁止された書式を含まない",
        "expect_column_values_to_not_match_regex_list": "禁止された書式を含まない",
        "expect_compound_columns_to_be_unique": "列の組合せが重複しない",
        "expect_table_row_count_to_be_between": "行数が範囲内",
        "expect_counts": "対象 {element}・不適合 {unexpected}",
        "expect_rows": "{n} 行",
        "chain_short_footer": "監査",
        "status_reconciled": (
            "移行元の全行が、登録・不採用・除外のいずれかとして数え上げられ、"
            "登録した行は移行先から読み戻して一致しました。"
        ),
        "status_unbalanced": "照合が一致しなかったため、移行先への登録は取り消しました。",
        "status_failed": "入力に問題があり、処理を中断しました。移行先には何も登録していません。",
        "status_nothing_loaded": (
            "1 行も登録できなかったテーブルがあります。行数の内訳は合っていても、"
            "移行はできていません。移行先への登録は取り消しました。"
        ),
        "status_too_many_rejected": (
            "不採用の行の割合が計画の上限（rehearsal.max_rejected）を超えたテーブルがあります。"
            "移行先への登録は取り消しました。"
        ),
        "shortfalls": "不合格となったテーブル",
        "shortfall_nothing_loaded": "1 行も登録できません",
        "shortfall_too_many_rejected": "不採用が上限を超えています",
        "rejected_percent": "不採用の割合",
        "max_rejected": "上限",
        "max_rejected_none": "指定なし",
        "percent": "{n} %",
        "shortfalls_rule": (
            "1 行も登録できないテーブル、または不採用の行が移行元の行数に対して計画の上限"
            "（rehearsal.max_rejected）を超える割合のテーブルがある実行は不合格とし、"
            "何も登録しません。不採用の理由は各テーブルの「不採用の内訳」と"
            " worklist.csv にあります。"
        ),
        "signon_not_started": "事前確認が不合格のため、立会い・承認の確認は行っていません。",
        "funnel_text": (
            "{table}：移行元 {source} 行のうち、除外 {skipped} 行、不採用 {rejected} 行、"
            "登録 {loaded} 行。"
        ),
        "reasons_chart": "{table}：不採用の理由別の行数",
        "where": "位置（ファイル・シート・行）",
        "more_rows": "ほか {n} 行（worklist.csv に全件）",
        "same_key_groups": "同じキーの行の組（{n} 組）：",
        "group_more_rows": "ほか {n} 行",
        "more_groups": "ほか {n} 組（worklist.csv に全件）",
        "rejects_rule": (
            "行の位置はすべて worklist.csv（同じフォルダ）と report.json にあります"
            "。1行に複数の理由があるときは、理由ごとに数えています。"
        ),
        "control_count": "件数",
        "control_sum": "{column}の合計",
        "control_count_by": "{column}別の件数",
        "stage_plan": "計画の読込み",
        "stage_extract": "抽出（ファイルの読取り）",
        "stage_map": "変換（マッピング）",
        "stage_validate": "検証（契約の規則）",
        "stage_expect": "期待値の確認",
        "stage_fingerprints": "レコード指紋の作成",
        "stage_load": "移行先への登録",
        "stage_reconcile": "照合（読み戻し）",
        "stage_cross-controls": "テーブル間の照合",
        "stage_seal": "照合台帳の封印",
        "stage_commit": "登録の確定",
        "stage_result": "結果",
        "outcome_ok": "完了",
        "outcome_failed": "失敗",
        "outcome_refused": "拒否",
        "outcome_written": "記録",
        "outcome_sealed": "封印",
        "outcome_committed": "確定",
        "outcome_rolled_back": "取消し",
        "confirmed": "本人確認",
        "approver": "承認者",
        "substitute_for": "{name} の代理",
        "substitutes": "代理：{names}",
        "blank_date": "令和　　年　　月　　日",
        "ran_the_run": "本番移行を実行",
        "target": "移行先",
        "version": "ikou バージョン",
        "rehearsal": "リハーサル",
        "production": "本番",
        "reconcile": "照合",
        "reconciled": "照合一致",
        "unbalanced": "不一致",
        "failed": "失敗",
        "nothing_loaded": "不合格（登録 0 件）",
        "too_many_rejected": "不合格（不採用が上限超過）",
        "sources": "移行元ファイル",
        "file": "ファイル",
        "sheet": "シート",
        "row": "行",
        "size": "サイズ (バイト)",
        "sha256": "SHA-256",
        "rows": "行数",
        "funnel": "件数の内訳",
        "table": "テーブル",
        "source_rows": "移行元の行数",
        "skipped": "除外",
        "rejected": "不採用",
        "loaded": "登録",
        "balance": "内訳の一致",
        "funnel_rule": (
            "移行元の行数 ＝ 除外 ＋ 不採用 ＋ 登録。登録件数は移行先から読み戻して数えています。"
        ),
        "ok": "一致",
        "ng": "不一致",
        "skipped_by_rule": "除外の内訳（規則別）",
        "skip.after_table": "表の終わりより後の行",
        "skip.footnote": "表の下の注記",
        "skip.totals": "合計・小計の行",
        "rule": "規則",
        "count": "件数",
        "rejects_by_reason": "不採用の内訳（理由別）",
        "reason": "理由コード",
        "rejects": "不採用の行（位置）",
        "reasons": "理由",
        "rejects_more": "ほか {n} 件は report.json に全件あります。",
        "notes_by_reason": "注記つきで登録（理由別）",
        "notes_rule": (
            "登録はしたが、変換に注意を要した件数です"
            "（元号の範囲外の日付を換算した、氏名を姓と名に分けられなかった、空欄の表記を空にした等）。"
        ),
        "notes": "注記つきで登録した行（位置）",
        "cleared_by_reason": "値を空欄にして登録したセル（列・理由別）",
        "cleared_rule": (
            "マッピングで on_error: null とした列では、不正な値のセルを空欄にして行を登録しました。"
            "行数の内訳（元データ＝除外＋不採用＋登録）はそのままで、空欄にしたセルは別に数えています。"
            "新システムで正しい値を入力してください。"
        ),
        "cleared": "空欄にしたセルのある行（位置）",
        "opened": "開き方",
        "opened_plain": "パスワードなし",
        "opened_password": "パスワードで復号",
        "opened_default": "Excel の既定のパスワードで復号（書き込み保護のみ）",
        "reader_doc97+libreoffice": (
            "ikou と LibreOffice の二つの方法で読み、表・行・列の数が一致することを確認しました"
        ),
        "reader_doc97": "ikou の Word 読取のみ（LibreOffice がないため照合していません）",
        "reader_libreoffice": "LibreOffice のみで読みました（Word 6.0/95 形式）",
        "controls": "管理合計",
        "totals": "台帳の合計行との照合",
        "totals_rule": (
            "台帳自身の合計・小計の行の額を、その範囲の登録した行の合計と比べました。"
            "差額が不採用の行の（読み取れた）額の合計と一致すれば「不採用で説明」です。"
            "登録側か不採用側が1行だけの合計行は、その行の値が分かってしまうため額を「—」とし、行数と判定だけを示します。"
        ),
        "total": "合計行",
        "position": "位置",
        "ledger_side": "台帳の額",
        "loaded_sum": "登録した行の合計",
        "rejected_sum": "不採用の行の合計",
        "unexplained": "説明できない差額",
        "rows_n": "{n} 行",
        "withheld": "—",
        "total_holds": "一致",
        "total_explained": "不採用で説明",
        "total_unexplained": "不一致",
        "total_unreadable": "台帳の額が読めません",
        "informative": "参考（判定に含めない）",
        "control": "項目",
        "source_side": "移行元",
        "target_side": "移行先",
        "result": "結果",
        "findings": "照合の相違",
        "none": "なし",
        "stages": "処理段階とハッシュ",
        "stage": "段階",
        "outcome": "結果",
        "input": "入力ハッシュ",
        "output": "出力ハッシュ",
        "duration": "所要 (ms)",
        "artifacts": "中間ファイル",
        "no_artifacts": "この実行は中間ファイルを作成していません。",
        "recovered_note": "この本番移行は登録の確定（コミット）直後に中断されました。"
        "次に ikou を起動した際、移行先の内容を確定前に封印した照合台帳と突き合わせて"
        "一致を確認し、完了として封印しました。行ごとの不採用の位置は中断により失われ、"
        "件数のみを記載しています。",
        "scratch_ram": "一時領域はメモリ上（RAM ディスク）にあり、ディスクには書き込まれません。",
        "scratch_disk": (
            "この OS ではメモリ上の一時領域を使えないため、"
            "一時領域はディスク上にあり、暗号化して書き込みます。"
        ),
        "purpose": "用途",
        "encrypted": "暗号化",
        "shredded": "消去",
        "shredded_ok": "消去・確認済",
        "shredded_ng": "未確認",
        "yes": "あり",
        "no": "なし",
        "chain": "監査ログ",
        "chain_head": "監査チェーンの先頭ハッシュ",
        "chain_short": "読み上げ用の短縮形",
        "audit_log": "監査ログのファイル",
        "verify_hint": "確認: ikou audit verify {log} --head {short}",
        "note_values": (
            "この報告書にはセルの値を一切記載していません（位置・規則・件数・ハッシュのみ）。"
        ),
        "error": "中断の理由",
        "error_note": "移行先には何も登録していません。",
        "import_files": "移行先ファイル（ベンダーの取込ファイル）",
        "import_files_rule": (
            "計画の target.files にある表は、データベースではなく"
            "ベンダーの取込ファイルに書き出しました。"
            "書き出したファイルを同じ文字コード・区切り・桁数で読み直し、"
            "行ごとの内容・件数・管理合計を照合しています。ファイルは一時名で書き、"
            "照合が一致して登録を確定したときにだけ所定の名前にしています。"
        ),
        "import_format": "形式",
        "import_fate": "保管・消去",
        "import_format_csv": "CSV",
        "import_format_fixed": "固定長",
        "import_encoding_cp932": "Shift_JIS（CP932）",
        "import_encoding_shift_jis": "Shift_JIS（JIS X 0208 のみ）",
        "import_encoding_utf-8": "UTF-8",
        "import_newline_crlf": "改行 CRLF",
        "import_newline_lf": "改行 LF",
        "import_newline_none": "改行なし",
        "import_kept_keep_target": "保存",
        "import_kept_production": "保存（取込用）",
        "import_kept_rehearsal_path": "保存（テスト取込用）",
        "media_on": "外部記録媒体",
        "media_title": "外部記録媒体の挿入と取外し（実行中）",
        "media_rule": "計画の規則",
        "media_rule_unset": "指定なし",
        "media_watched": "実行中ずっと ikou media watch が記録していました",
        "media_unwatched": (
            "実行中の全期間は記録されていません（ikou media watch が動いていない時間があります）"
        ),
        "media_action": "操作",
        "media_inserted": "挿入",
        "media_removed": "取外し",
        "media_medium": "登録媒体（所有者）",
        "media_device": "ラベル・型番・シリアル末尾",
        "media_unregistered": "未登録の媒体",
        "media_none_inserted": "実行中に挿入・取外しされた媒体はありません。",
        "import_kept_note_rehearsal_path": (
            "リハーサルの取込ファイル {file}（テストデータ）は、計画の rehearsal_path に"
            "置いています。ベンダーのテスト取込が済んだら ikou shred で消去してください"
            "（外部記録媒体上のものは ikou media erase でも消去されます）。"
        ),
        "import_kept_note_keep_target": (
            "リハーサルの取込ファイル {file} は、計画の rehearsal: keep_target: true により"
            "実行フォルダに残しています。確認が済んだら ikou shred で消去してください。"
        ),
        "import_kept_note_production": (
            "取込ファイル {file} はベンダーの取込用に保存しています。取込の完了を確認したら、"
            "ikou shred で消去してください（消去証明書に記載されます）。"
        ),
        "import_discarded": "照合が一致しなかったため配置せず、一時ファイルを消去",
        "gaiji": "外字の置換（外字表）",
        "gaiji_rule": (
            "取込ファイルの文字コードで表せない文字などを、計画の外字表（gaiji）のとおり置き換えて"
            "書き出しました。列・文字ごとの件数です（置き換えの規則のみで、セルの値は記載しません）。"
        ),
        "gaiji_char": "文字",
        "gaiji_to": "置換後",
        "stage_import": "取込ファイルの書出し",
        "stage_import-reconcile": "取込ファイルの照合（読み戻し）",
        "shred_import_file": "ベンダーの取込ファイル",
        "shred_media_file": "媒体に書き出したファイル",
        "shred_media_record": "媒体の識別ファイル・利用記録",
        "shred_reason_absent": ("消去の前になくなっていました（ikou による消去ではありません）"),
    },
    "en": {
        "title": "Migration rehearsal report",
        "title_production": "Production migration report",
        "refused": "refused",
        "unchanged": "unchanged",
        "changed": "changed",
        "preflight": "Preflight",
        "cross_controls": "Control totals across tables",
        "expectations": "Dataset expectations (great-expectations)",
        "expectation": "Expectation",
        "column": "Column",
        "gate_failed": "Expectations not met: nothing was loaded into the target",
        "expectations_failed": "expectations failed",
        "detail": "Detail",
        "check_ok": "passed",
        "check_warn": "warning",
        "check_fail": "failed",
        "item_rehearsal": "rehearsal",
        "item_scratch": "scratch",
        "item_swap": "swap",
        "item_target": "target",
        "item_media": "removable media",
        "item_media-mounted": "media mounted",
        "item_media-simulated": "media simulation",
        "item_sources": "sources",
        "item_sources unchanged": "sources unchanged",
        "item_certification": "certification ",
        "item_signon": "sign-on ",
        "item_council": "privacy council",
        "check": "Item",
        "warn": "warning",
        "signon": "Witness and approvals",
        "role": "Role",
        "name": "Name",
        "method": "Confirmed by",
        "time": "Time",
        "by_terminal": "typed at the terminal",
        "by_file": "sign-off file",
        "signoff": "Migration sign-off",
        "signoff_intro": (
            "The production migration above was carried out; the counts,"
            " control totals and row hashes of source and target agree."
        ),
        "artifacts_destroyed": "Artifacts destroyed",
        "date": "Date",
        "seal": "Seal",
        "witness": "Witness",
        "operator": "Operator",
        "owner": "Owner",
        "council": "Privacy council",
        "council_quote": "{body}, {item} ({date}): {decision}",
        "council_approved": "approved",
        "council_conditional": "approved on conditions",
        "council_rejected": "rejected",
        "council_none": "none recorded",
        "council_not_required": "not required: {reason}",
        "council_other_plan": "this decision is on another version of the plan",
        "council_conditions": "The council's conditions",
        "council_conditions_intro": (
            "The witness checks that each condition was kept and ticks its box."
        ),
        "council_kept": "Kept",
        "council_condition": "Condition",
        "reconcile_title": "Post-migration reconciliation report",
        "sealed_run": "Sealed production run",
        "manifest": "Sealed manifest (SHA-256)",
        "rows_now": "Rows in the target",
        "other_rows": "Rows of other batches (the run appended: not compared)",
        "file_state": "State",
        "file_unchanged": "unchanged (same SHA-256)",
        "file_changed": "changed (another SHA-256, or not a regular file)",
        "file_absent": "not found (moved or deleted outside ikou)",
        "file_shredded": "destroyed (ikou shred)",
        "differences": "Differences",
        "source_differences": "The sources read again, against the seal",
        "change": "Change",
        "key_digest": "Keyed digest of the key",
        "columns": "Columns",
        "origin": "Source position",
        "added": "added",
        "removed": "removed",
        "certificate_title": "Data destruction certificate",
        "certificate_intro": (
            "The data below, created during this migration, was destroyed as described."
        ),
        "what": "What",
        "file_name": "File",
        "how": "How",
        "verified": "Verified",
        "shred_artifact": "artifact",
        "shred_rehearsal_target": "rehearsal target database",
        "shred_fingerprints": "record fingerprints (keyed digests)",
        "shred_manifest": "sealed manifest (keyed digests)",
        "shred_key": "fingerprint and manifest key (cryptographic erase)",
        "shred_method": "overwritten with random bytes, fsynced, renamed, unlinked",
        "shred_reason_not_ours": "not the file ikou made there: left untouched",
        "shred_reason_not_gone": "not verified gone",
        "shred_reason_link": "reached through a link: left untouched",
        "shred_reason_key_id": "the workspace's KEY_ID does not name a key",
        "shred_reason_key_missing": "the key is not in the key store: destroy it where it is "
        "kept, or confirm it is gone",
        "run_id": "Run ID",
        "mode": "Mode",
        "status": "Status",
        "plan": "Plan",
        "plan_sha256": "Plan hash (SHA-256)",
        "generated": "Generated",
        "purpose_rehearsal_target": "rehearsal target database (plaintext)",
        "target_kept": "kept",
        "target_kept_keep_target": (
            "The rehearsal's target database is kept in the run folder (rehearsal: "
            "keep_target: true). Destroy it with ikou shred once it has been looked at."
        ),
        "target_kept_rehearsal_url": (
            "The rehearsal loaded the database target.rehearsal_url names, which is kept; "
            "ikou shred destroys it."
        ),
        "test_synthetic": "synthetic data (made by {made_by})",
        "resembling": (
            "{n} records of source {source} match a production run's records by keyed "
            "fingerprint: few enough to be chance."
        ),
        "test_declared": "test data declared by the operator (not made by ikou)",
        "expect_counts": "{element} checked, {unexpected} unexpected",
        "expect_rows": "{n} rows",
        "chain_short_footer": "chain",
        "status_reconciled": (
            "Every source row is accounted for as loaded, rejected or skipped, and "
            "the loaded rows read back from the target agree."
        ),
        "status_unbalanced": "Reconciliation did not agree, so the load was rolled back.",
        "status_failed": "The input had a problem and the run stopped; nothing was loaded.",
        "status_nothing_loaded": (
            "A table loaded no row. The counts add up, but nothing was migrated; the load "
            "was rolled back."
        ),
        "status_too_many_rejected": (
            "A table rejected a larger share of its rows than the plan allows "
            "(rehearsal.max_rejected); the load was rolled back."
        ),
        "shortfalls": "Tables that fail the run",
        "shortfall_nothing_loaded": "no row loaded",
        "shortfall_too_many_rejected": "more rejected than the limit",
        "rejected_percent": "Rejected share",
        "max_rejected": "Limit",
        "max_rejected_none": "none",
        "percent": "{n} %",
        "shortfalls_rule": (
            "A run in which a table loads no row, or rejects a larger share of its source rows "
            "than the plan's limit (rehearsal.max_rejected), fails and loads nothing. The "
            "reasons are under each table's rejected rows and in worklist.csv."
        ),
        "signon_not_started": "The preflight failed, so nobody was asked to sign on.",
        "funnel_text": (
            "{table}: of {source} source rows, {skipped} skipped, {rejected} reject"
            "ed, {loaded} loaded."
        ),
        "reasons_chart": "{table}: rejected rows by reason",
        "where": "Where (file, sheet, rows)",
        "more_rows": "and {n} more rows (all in worklist.csv)",
        "same_key_groups": "Rows sharing a key, {n} group(s):",
        "group_more_rows": "and {n} more rows",
        "more_groups": "and {n} more groups (all in worklist.csv)",
        "rejects_rule": (
            "Every position is in worklist.csv (beside this report) and in report.j"
            "son. A row with several reasons is counted under each."
        ),
        "control_count": "row count",
        "control_sum": "sum of {column}",
        "control_count_by": "rows by {column}",
        "confirmed": "Confirmed",
        "approver": "Approver",
        "substitute_for": "substitute for {name}",
        "substitutes": "substitutes: {names}",
        "blank_date": "____ / ____ / ______",
        "ran_the_run": "ran the production run",
        "target": "Target",
        "version": "ikou version",
        "rehearsal": "rehearsal",
        "production": "production",
        "reconcile": "reconcile",
        "reconciled": "reconciled",
        "unbalanced": "unbalanced",
        "failed": "failed",
        "nothing_loaded": "failed: nothing loaded",
        "too_many_rejected": "failed: too many rejected",
        "sources": "Source files",
        "file": "File",
        "sheet": "Sheet",
        "row": "Row",
        "size": "Size (bytes)",
        "sha256": "SHA-256",
        "rows": "Rows",
        "funnel": "Row counts",
        "table": "Table",
        "source_rows": "Source rows",
        "skipped": "Skipped",
        "rejected": "Rejected",
        "loaded": "Loaded",
        "balance": "Balances",
        "funnel_rule": (
            "Source rows = skipped + rejected + loaded; "
            "loaded rows are counted by reading the target back."
        ),
        "ok": "yes",
        "ng": "NO",
        "skipped_by_rule": "Skipped, by rule",
        "skip.after_table": "Rows after the table's end",
        "skip.footnote": "Notes under the table",
        "skip.totals": "Total rows",
        "rule": "Rule",
        "count": "Count",
        "rejects_by_reason": "Rejected, by reason",
        "reason": "Reason",
        "rejects": "Rejected rows (positions)",
        "reasons": "Reasons",
        "rejects_more": "{n} more rows are listed in report.json.",
        "notes_by_reason": "Loaded with a note, by reason",
        "notes_rule": (
            "Rows loaded, but converted under a rule worth checking (a date outside its era "
            "converted, a name that could not be split, a blank marker made empty)."
        ),
        "notes": "Rows loaded with a note (positions)",
        "cleared_by_reason": "Loaded with cleared cells, by column and rule",
        "cleared_rule": (
            "Columns mapped with on_error: null load their row with a failed cell left empty. "
            "The row accounting (source = skipped + rejected + loaded) is unchanged; the "
            "cleared cells are counted here. Enter the right values in the new system."
        ),
        "cleared": "Rows loaded with cleared cells (positions)",
        "opened": "Opened with",
        "opened_plain": "no password",
        "opened_password": "its password (decrypted)",
        "opened_default": "Excel's default password (write-protection only; decrypted)",
        "reader_doc97+libreoffice": (
            "read by ikou and by LibreOffice; their tables, rows and widths agree"
        ),
        "reader_doc97": "read by ikou's Word reader alone (no LibreOffice: not cross-checked)",
        "reader_libreoffice": "read by LibreOffice alone (a Word 6.0/95 file)",
        "controls": "Control totals",
        "totals": "The ledger's own totals",
        "totals_rule": (
            "Each total row of the ledger (合計, 小計) against the sum of the rows it covers "
            "that were loaded. A difference equal to the readable values of the rejected rows "
            "is explained by them. Where the loaded or the rejected side is a single row, the "
            "figures are shown as — (they would give that row's value); counts and the "
            "verdict remain."
        ),
        "total": "Total row",
        "position": "Position",
        "ledger_side": "Ledger",
        "loaded_sum": "Loaded",
        "rejected_sum": "Rejected",
        "unexplained": "Unexplained",
        "rows_n": "{n} rows",
        "withheld": "—",
        "total_holds": "holds",
        "total_explained": "explained by rejects",
        "total_unexplained": "differs",
        "total_unreadable": "ledger figure unreadable",
        "informative": "informative only",
        "control": "Control",
        "source_side": "Source",
        "target_side": "Target",
        "result": "Result",
        "findings": "Reconciliation differences",
        "none": "none",
        "stages": "Stages and hashes",
        "stage": "Stage",
        "outcome": "Outcome",
        "input": "Input hash",
        "output": "Output hash",
        "duration": "Time (ms)",
        "artifacts": "Artifacts",
        "no_artifacts": "This run created no artifacts.",
        "recovered_note": "This production run was interrupted right after its load was committed. "
        "The next time ikou started, it compared the target with the manifest sealed before the "
        "commit, found them identical, and sealed the run as complete. The positions of rejected "
        "rows were lost with the interruption; only the counts are shown.",
        "scratch_ram": "Scratch was on a RAM-backed filesystem: nothing reached the disk.",
        "scratch_disk": (
            "RAM-backed scratch is not available on this OS: scratch was on disk, encrypted."
        ),
        "purpose": "Purpose",
        "encrypted": "Encrypted",
        "shredded": "Destroyed",
        "shredded_ok": "shredded, verified",
        "shredded_ng": "not verified",
        "yes": "yes",
        "no": "no",
        "chain": "Audit log",
        "chain_head": "Audit chain head",
        "chain_short": "Short form for reading aloud",
        "audit_log": "Audit log file",
        "verify_hint": "Check: ikou audit verify {log} --head {short}",
        "note_values": (
            "This report contains no cell values: only positions, rules, counts and hashes."
        ),
        "error": "Why the run stopped",
        "error_note": "Nothing was loaded into the target.",
        "import_files": "Vendor import files",
        "import_files_rule": (
            "The tables under the plan's target.files were written to the vendor's import file "
            "instead of the database. Each file was read back with the same encoding, quoting "
            "and widths, and its rows, counts and control totals reconciled; it was written "
            "under a temporary name and given its name only when everything balanced and the "
            "load committed."
        ),
        "import_format": "Format",
        "import_fate": "Kept or destroyed",
        "import_format_csv": "CSV",
        "import_format_fixed": "fixed-length",
        "import_encoding_cp932": "Shift_JIS (CP932)",
        "import_encoding_shift_jis": "Shift_JIS (JIS X 0208 only)",
        "import_encoding_utf-8": "UTF-8",
        "import_newline_crlf": "CRLF line ends",
        "import_newline_lf": "LF line ends",
        "import_newline_none": "no line ends",
        "import_kept_keep_target": "kept",
        "import_kept_production": "kept for the import",
        "import_kept_rehearsal_path": "kept for the vendor's test import",
        "media_on": "on removable medium",
        "media_title": "Removable media inserted and removed during the run",
        "media_rule": "The plan's rule",
        "media_rule_unset": "none set",
        "media_watched": "ikou media watch recorded over the whole run",
        "media_unwatched": (
            "not recorded over the whole run (ikou media watch was not running throughout)"
        ),
        "media_action": "Action",
        "media_inserted": "inserted",
        "media_removed": "removed",
        "media_medium": "Registered medium (holder)",
        "media_device": "Label, model, end of serial",
        "media_unregistered": "not registered",
        "media_none_inserted": "No medium was inserted or removed during the run.",
        "import_kept_note_rehearsal_path": (
            "The rehearsal's import file {file} (test data) is at the plan's rehearsal_path. "
            "Once the vendor's test import is done, destroy it with ikou shred (on a removable "
            "medium, ikou media erase destroys it too)."
        ),
        "import_kept_note_keep_target": (
            "The rehearsal's import file {file} is kept in the run folder (rehearsal: "
            "keep_target: true). Destroy it with ikou shred once it has been looked at."
        ),
        "import_kept_note_production": (
            "The import file {file} is kept for the vendor's import. Once the office has "
            "confirmed the import, destroy it with ikou shred (the certificate lists it)."
        ),
        "import_discarded": "not placed (the run did not reconcile); its temporary file shredded",
        "gaiji": "Substituted characters (外字表)",
        "gaiji_rule": (
            "Characters replaced as the plan's substitution table (gaiji) says, counted by "
            "column and character: the rule, never a cell's value."
        ),
        "gaiji_char": "Character",
        "gaiji_to": "Written as",
        "stage_import": "import file written",
        "stage_import-reconcile": "import file read back and reconciled",
        "shred_import_file": "vendor import file",
        "shred_media_file": "file written to the medium",
        "shred_media_record": "the medium's identity file or usage log",
        "shred_reason_absent": "gone before ikou could destroy it (not destroyed by ikou)",
    },
}
