"""The brief's words in Japanese and English, by key.

The facts come from the plan (:mod:`.model`); every sentence around them is
here, so the council reads the same brief in either language and a test can
hold the two key sets equal. Sentences name plan keys and commands, never a
value of the data.

Longer than 500 lines: two languages' words for nine sections, one key per
entry; the module is data.
"""

from __future__ import annotations

__all__ = ["LABELS"]

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "個人情報の取扱いに関する説明書（データ移行）",
        "subtitle": "個人情報保護運営審議会 諮問資料",
        "plan": "計画",
        "plan_file": "計画ファイル",
        "plan_sha256": "計画のハッシュ（SHA-256）",
        "plan_short": "計画のハッシュ（短縮形）",
        "generated": "作成日時",
        "production_date": "本番移行の予定日",
        "version": "ikou のバージョン",
        "footer_plan": "計画",
        "made_from": (
            "この説明書は、移行計画・マッピング・契約（指定があればファイル構造の概要（プロファイ"
            "ル））だけから作成しています。移行元のファイル（本番データ・テストデータとも）は開いて"
            "おらず、個人の値は一切含みません。"
        ),
        "warnings": "注意事項",
        "warnings_intro": "次の事項は計画に記載がないか、本番移行の前に対応が必要です。",
        "no_warnings": "注意事項はありません。",
        "not_declared": "計画に記載がありません",
        "none": "なし",
        "yes": "該当",
        "no": "非該当",
        "list_sep": "、",
        "plus": "＋",
        "in_parens": "（{}）",
        # -- warnings --------------------------------------------------------
        "warn_no_section": "所管課（section）が計画に記載されていません。",
        "warn_no_production_source": (
            "移行元「{source}」の本番ファイル（production）が計画に記載されていません。"
        ),
        "warn_no_site": "作業場所（site）が計画に記載されていません。",
        "warn_no_target_url": "本番の移行先データベース（target.url）が計画に記載されていません。",
        "warn_no_media_rule": "外部記録媒体の方針（media）が計画に記載されていません。",
        "warn_register_unverified": (
            "このPCの媒体登録簿を検証できませんでした。情報システム担当課に確認してください。"
        ),
        "warn_no_network": "作業中のネットワーク（site.network）が計画に記載されていません。",
        "warn_kept_values_personal": (
            "プロファイルは列「{column}」の値を保持していますが、この列は個人情報の列に移行されま"
            "す。プロファイルを庁外に出す前に見直してください。"
        ),
        "warn_no_people": "作業者・立会人・承認者（people）が計画に記載されていません。",
        "warn_no_approvers": "承認者（people.approvals）が計画に記載されていません。",
        "warn_no_vendor": "委託業者（vendor）が計画に記載されていません。",
        "warn_no_certifications": (
            "委託業者の認証（vendor.certifications）が計画に記載されていません。"
        ),
        "warn_certification_expires": (
            "認証「{name}」（{number}）の有効期限 {expires} は、本番移行の予定日より前です。"
        ),
        # -- 1 ---------------------------------------------------------------
        "s_subject": "1. 件名と目的",
        "subject_name": "件名（計画）",
        "subject_description": "目的",
        "subject_section": "所管課",
        "subject_company": "委託業者",
        "subject_mapping": "移行の規則（マッピング）",
        "subject_contract": "移行先システム（契約）",
        # -- 2 ---------------------------------------------------------------
        "s_personal_data": "2. 取り扱う個人情報",
        "personal_intro": (
            "移行先の各テーブルと項目、その移行元の列、個人情報に当たるかを示します。"
            "個人情報かどうかは契約の personal の指定に従い、指定のない項目は、"
            "移行元から読む項目を個人情報、ikou が採番する項目を個人情報でないものとして扱います。"
        ),
        "table": "テーブル",
        "column": "項目",
        "from": "移行元の列",
        "personal": "個人情報",
        "basis": "根拠",
        "source": "移行元",
        "destination": "移行先",
        "records": "件数",
        "records_profile": "件数（プロファイルによる）",
        "records_unknown": "—（プロファイルなし）",
        "personal_columns": "個人情報の項目",
        "personal_count": "{n} / {total} 項目",
        "dest_database": "移行先データベースへ登録",
        "dest_import_file": "ベンダーの取込ファイルへ出力",
        "from_sheet": "シート名",
        "from_file": "ファイル名",
        "from_cell": "セル {cell}（表題）",
        "basis_declared": "契約で指定",
        "basis_read": "移行元から読む",
        "basis_generated": "ikou が採番",
        "basis_not_fed": "この移行では値を入れない",
        "rehearsal_files": "テストデータ",
        "production_files": "本番データ",
        "sheets": "シート",
        "all_visible_sheets": "表示されているすべてのシート",
        "profile_counts": "プロファイル {path} による件数",
        "profile_counts_intro": (
            "件数はプロファイルが数えたデータ行の数です（合計行・空行を除く）。"
            "シート名は計画に記載のあるものだけを示し、それ以外は位置で示します。"
        ),
        "profile_sheet": "ファイル {file} のシート {position}",
        "profile_unmatched": "計画のどの移行元にも当たらないファイル：{n} 件（数えていません）",
        "profile_none_for_source": "プロファイルにこの移行元のファイルはありません",
        # -- 3 ---------------------------------------------------------------
        "s_flow": "3. 作業の流れと作業場所",
        "site_place": "作業場所",
        "site_pc": "使用するPC",
        "site_network": "作業中のネットワーク",
        "stage": "工程",
        "stage_what": "内容",
        "stage_where": "データの置き場所",
        "stage_extract": "抽出",
        "stage_map": "変換",
        "stage_validate": "検証",
        "stage_load": "登録",
        "stage_reconcile": "照合",
        "stage_report": "報告",
        "stage_extract_what": (
            "移行元ファイルを読み取り、メモリ上の表にします。パスワード付きのファイルはメモリ上で復"
            "号し、復号した複製はディスクに書きません。"
        ),
        "stage_map_what": (
            "マッピングの規則で移行先の形に変換します。変換できない行は、"
            "行番号と理由コードで記録します。"
        ),
        "stage_validate_what": (
            "契約の規則（型・必須・形式・範囲・一意性・参照）で検査します。"
            "不適合は行と規則の名前で記録します。"
        ),
        "stage_load_what": (
            "1回のトランザクションで移行先に登録します（取込ファイルは一時名で書き出します）。"
        ),
        "stage_reconcile_what": (
            "移行先から読み戻し、件数・行ごとのハッシュ・管理合計の一致を確かめます。"
            "一致しなければ登録を取り消し、取込ファイルも消去します。"
        ),
        "stage_report_what": "報告書（件数・理由コード・行番号・ハッシュ）と監査記録を作成します。",
        "where_memory": "メモリ（使用するPC）",
        "where_target": "移行先（一つのトランザクション内）",
        "where_committed": "照合が一致したときだけ移行先で確定",
        "where_workspace": "ワークスペース {workspace}（値を含まない）",
        "scratch": "一時領域",
        "scratch_rule": (
            "一時ファイルが避けられない場合（Word 97-2003 の .doc を変換するときなど）は、"
            "RAM 上の一時フォルダ（Linux の /dev/shm）に置きます。RAM 上の領域がない OS では、"
            "ワークスペース内に AES-256-GCM で暗号化して置き、鍵はメモリ上にしか持ちません。"
            "どちらも実行の終わりに消去します。本番移行の事前確認が、移行用PCの一時領域とスワップを"
            "確かめて報告書に記録します。"
        ),
        "scratch_here_ram": "この説明書を作成したPCでは、RAM 上の一時領域が使えます。",
        "scratch_here_disk": (
            "この説明書を作成したPCには RAM 上の一時領域がなく、一時ファイルは暗号化してディスクに"
            "置かれます。"
        ),
        "written": "書き込むもの",
        "written_target": "移行先データベース：{kind}（{where}）",
        "written_target_missing": "移行先データベース：計画に記載がありません（target.url）",
        "written_import": "ベンダーの取込ファイル：{table}（{format}、{encoding}）→ {path}",
        "written_import_run_folder": "実行ごとのフォルダ",
        "written_records": (
            "報告書・監査記録・保管記録（表名・列名・行番号・件数・ハッシュだけで、値は含みません）"
        ),
        "written_digests": (
            "後日の照合と ikou sweep のための鍵付きダイジェスト（HMAC-SHA256。値には戻せません）"
        ),
        "kind_postgresql": "PostgreSQL",
        "kind_sqlite": "SQLite ファイル",
        "kind_unknown": "解釈できない URL",
        "never_written": "書き込まないもの",
        "never_plain": (
            "移行元の値の平文の複製（移行先データベースと取込ファイルを除く）。"
            "中間データはメモリ上に置きます。"
        ),
        "never_logs": (
            "ログ・報告書・監査記録・画面表示・この説明書への値の記載（表名・列名・行番号・件数・ハ"
            "ッシュだけを記録します）。"
        ),
        "never_decrypted": "パスワード付きファイルの復号した複製。",
        "never_passwords": (
            "パスワード（環境変数か画面入力で受け取り、計画・コマンド行・記録には書きません）。"
        ),
        "never_credentials": (
            "データベースの利用者名・パスワード（この説明書には移行先の種類と場所だけを記載します"
            "）。"
        ),
        # -- 4 ---------------------------------------------------------------
        "s_handover": "4. データの受け渡し",
        "media_rule": "外部記録媒体の方針",
        "media_none": (
            "外部記録媒体は使用しません（media: none）。本番移行中は ikou media watch で媒体の接続"
            "を記録し、開始時に媒体が接続されていれば開始せず、作業中に接続があれば登録の確定前に中"
            "止します。"
        ),
        "media_required": (
            "登録した媒体に限り使用できます（media: watch: required）。本番移行中は ikou media watc"
            "h が動いている必要があり、作業時間中の接続はすべて報告書に記載され、"
            "未登録の媒体は明示されます。"
        ),
        "media_optional": (
            "登録した媒体に限り使用できます（media: watch: optional）。接続の記録は任意ですが、"
            "このPCに媒体記録があれば報告書に作業時間中の接続が記載されます。"
        ),
        "media_undeclared": (
            "計画に記載がありません。このPCに媒体記録があれば、報告書に作業時間中の接続が記載されま"
            "す。"
        ),
        "media_writes": (
            "取込ファイルを外部記録媒体に書くときは、登録され、本物と確認できた媒体にだけ書きます。"
            "書込みごとに、日時・ファイルのハッシュ・作業した者を、監査記録、PCの媒体記録、"
            "媒体上の利用記録に残します。"
        ),
        "register": "このPCの登録媒体",
        "register_none": "この説明書を作成したPCには媒体登録簿がありません。",
        "register_unverified": "このPCの媒体登録簿は検証できませんでした（内容は記載しません）。",
        "register_empty": "登録された媒体はありません。",
        "medium_id": "媒体ID",
        "medium_holder": "保管者",
        "medium_registered": "登録日",
        "medium_state": "状態",
        "medium_active": "使用中",
        "medium_retired": "廃止（{date}）",
        "network": "ネットワーク",
        "carrier": "取込ファイルの受け渡し",
        "carrier_operator": (
            "取込ファイル（{tables}）は作業者 {operator} がベンダーへ受け渡します。"
        ),
        "carrier_unknown": (
            "取込ファイル（{tables}）を受け渡す作業者が計画に記載されていません（people.operator"
            "）。"
        ),
        "carrier_none": "取込ファイルはありません。すべて移行先データベースへ直接登録します。",
        # -- 5 ---------------------------------------------------------------
        "s_test_data": "5. テストデータ",
        "test_intro": (
            "リハーサル（試行）はテストデータだけで行い、本番データでは行いません。テストデータは、"
            "本番ファイルの構造だけを記録した値のないプロファイル（ikou profile）から ikou synth で"
            "作る合成データ、または作業者が用意して申告したテストデータです。"
        ),
        "test_checks": (
            "リハーサルは、読むファイルが計画の本番ファイル（同じパス、または同じ内容）でないことを"
            "確かめてから読みます。本番移行の後は、本番の記録と一致する行を多く含むテストデータを拒"
            "否します。各リハーサルの報告書は、ファイルごとに合成データか申告されたテストデータかを"
            "記載します。"
        ),
        "test_kind": "種類（このPCの記録による）",
        "test_synthetic": "合成データ（{made_by} が作成）",
        "test_declared": "作業者が用意したテストデータ",
        "test_absent": "まだファイルがありません",
        "test_files": "{n} ファイル",
        "test_max_age": (
            "本番移行には、この計画と同一の内容（ハッシュ）で照合が一致したリハーサルが、"
            "{days} 日以内に必要です（rehearsal.max_age_days）。"
        ),
        "test_keep_target": (
            "リハーサルの移行先は点検のため残し、ikou shred で消去します（rehearsal.keep_target）。"
        ),
        "test_shred_target": "リハーサルの移行先は、報告書の作成前に消去します。",
        "profile": "プロファイル",
        "profile_kept": "値を保持する列",
        "profile_kept_none": (
            "プロファイル {path} は、どの列の値も保持していません（構造・割合・件数だけ）。"
        ),
        "profile_kept_intro": (
            "プロファイル {path} は、次の列の値（重複を除いた一覧）を保持しています。"
            "個人情報でない列に限られます。"
        ),
        "profile_feeds": "移行先の項目",
        "profile_feeds_none": "どの項目にも使われません",
        # -- 6 ---------------------------------------------------------------
        "s_approval": "6. 立会いと承認",
        "owner": "所管課（データの保有者）",
        "operator": "作業者",
        "witnesses": "立会人（いずれか1人）",
        "role": "役割",
        "approver_role": "承認者（{role}）",
        "approvers": "承認者（各役割）",
        "usual": "通常の承認者",
        "substitutes": "代理者",
        "absent_rule": (
            "通常の承認者が不在のときは、計画に記載した代理者のうち1人が承認します。"
            "代理者は事前に計画に記載した者に限り、当日に選ぶことはできません。報告書には、"
            "誰の代理として承認したかが記録されます。"
        ),
        "signs": "署名するもの",
        "signs_approver": (
            "本番移行の前に、事前確認の合格後、本人確認（氏名と画面の確認コード）を行い、"
            "移行後に移行完了確認書に記名押印します。"
        ),
        "signs_witness": (
            "本番移行に立ち会い、開始前に本人確認を行い、移行完了確認書とデータ消去証明書に記名押印"
            "します。"
        ),
        "signs_operator": "ikou を操作し、移行完了確認書とデータ消去証明書に記名押印します。",
        "signs_owner": "移行計画・報告書・証明書を保管します。",
        "people_missing": (
            "作業者・立会人・承認者は計画に記載されていません（people）。本番移行は、"
            "これらが記載され、立会人と各承認者が本人確認を行わなければ実行できません。"
        ),
        # -- 7 ---------------------------------------------------------------
        "s_copies": "7. 複製の管理と消去",
        "copies_intro": (
            "移行では複製が生じます。ikou が作る複製はすべて、作る前に記録し、ハッシュを取り、"
            "監査記録に残し、消去します。"
        ),
        "copy_kind": "複製",
        "copy_where": "置き場所",
        "copy_protect": "保護と記録",
        "copy_end": "消去と証明",
        "copy_rehearsal_target": "リハーサルの移行先（テストデータ）",
        "copy_rehearsal_target_where_shredded": "実行フォルダの SQLite ファイル",
        "copy_rehearsal_target_where_kept": "実行フォルダの SQLite ファイル",
        "copy_rehearsal_target_where_office": (
            "計画が指定するリハーサル用データベース（rehearsal_url）"
        ),
        "copy_rehearsal_target_protect": (
            "テストデータだけ。サイズと SHA-256 を報告書と監査記録に記載"
        ),
        "copy_rehearsal_target_end_shredded": "報告書の作成前に消去（上書き・改名・削除・確認）",
        "copy_rehearsal_target_end_kept": (
            "点検のため残し、ikou shred で消去してデータ消去証明書に記載"
        ),
        "copy_rehearsal_target_end_office": (
            "残ります。SQLite ファイルなら ikou shred が消去し、サーバーのデータベースは所管課が消"
            "去"
        ),
        "copy_rehearsal_import": "リハーサルの取込ファイル（テストデータ）",
        "copy_rehearsal_import_where_shredded": "実行フォルダ",
        "copy_rehearsal_import_where_kept": (
            "実行フォルダ、または rehearsal_path（ベンダーのテスト取込用）"
        ),
        "copy_rehearsal_import_protect": (
            "テストデータだけ。行数・サイズ・SHA-256 を報告書と監査記録に記載"
        ),
        "copy_rehearsal_import_end_shredded": "実行の終わりに消去",
        "copy_rehearsal_import_end_kept": "ベンダーのテスト取込のため残り、ikou shred で消去",
        "copy_scratch": "一時ファイル（外部プログラムで変換するときなど、避けられない場合だけ）",
        "copy_scratch_where_default": (
            "RAM 上の一時フォルダ（/dev/shm）、ない場合はワークスペース内の一時フォルダ"
        ),
        "copy_scratch_protect": (
            "作る前に保管記録（custody.journal）に登録。AES-256-GCM で暗号化し、"
            "鍵はメモリ上だけ（外部プログラムが読むものは平文で、本番では RAM 上に限る）。"
            "ハッシュを監査記録に記載"
        ),
        "copy_scratch_end_default": (
            "実行の終わりに消去（上書き・改名・削除・確認）。異常終了しても次のコマンドが消去。"
            "報告書に消去の確認を記載"
        ),
        "copy_target": "移行先データベース（本番）",
        "copy_target_protect": (
            "新システムの管理による。登録した行の鍵付きダイジェストを封印台帳に記録"
        ),
        "copy_target_end_default": (
            "新システムのデータとして保持（ikou は消去しません）。ikou reconcile で後日照合"
        ),
        "copy_import_file": "本番の取込ファイル（平文、ベンダーの取込形式）",
        "copy_import_file_where_path": "計画の path（ベンダーの取込が読む場所）",
        "copy_import_file_where_run_folder": "実行フォルダ",
        "copy_import_file_protect": (
            "照合してから正式名にする。SHA-256・サイズ・行数を監査記録と保管記録に記載。"
            "媒体は登録したものだけ"
        ),
        "copy_import_file_end_default": (
            "ベンダーの取込を確認した後、ikou shred で消去しデータ消去証明書に記載。"
            "媒体上のものは ikou media erase で消去し消去証明書を作成"
        ),
        "copy_fingerprints": "記録指紋（ikou sweep 用）",
        "copy_fingerprints_where_default": "ワークスペースの fingerprints/",
        "copy_fingerprints_protect": (
            "鍵付きダイジェスト（HMAC-SHA256）だけ。鍵はワークスペースと別の鍵保管場所"
        ),
        "copy_fingerprints_end_default": (
            "ikou shred で消去。鍵を消去し暗号学的にも消去。データ消去証明書に記載"
        ),
        "copy_manifest": "封印台帳（本番移行の行・項目ごとの鍵付きダイジェスト）",
        "copy_manifest_where_default": "ワークスペースの manifests/",
        "copy_manifest_protect": "値を含まない。SHA-256 を監査記録に封印",
        "copy_manifest_end_default": "ikou shred で消去しデータ消去証明書に記載",
        "copy_records": "報告書・監査記録・保管記録・この説明書",
        "copy_records_where_default": "ワークスペース",
        "copy_records_protect": (
            "値を含まない。監査記録と保管記録は連鎖ハッシュと認証タグで改ざんを検出"
        ),
        "copy_records_end_default": "記録として保管",
        "sweep_title": "ikou sweep",
        "sweep_text": (
            "ikou sweep は、共有フォルダや USB メモリに、ikou の外で作られた複製（書き出した CSV、"
            "別名で保存したブック、メモに貼り付けた数行など）がないかを、記録指紋で探します。"
            "値は保存しておらず、鍵がなければ照合できません。見つかれば終了コード 1 で場所を示しま"
            "す。"
        ),
        "cannot_title": "ikou が把握できないもの",
        "cannot_outside": (
            "ikou の外で作られた複製：エクスプローラーでのコピー、Office の一時ファイル・自動回復フ"
            "ァイル、メールの添付、バックアップ、シャドウコピー、クラウド同期。"
        ),
        "cannot_photo": "画面の写真、書き写したメモ。",
        "cannot_flash": (
            "SSD や USB メモリのウェアレベリング：上書きしても古いデータが物理的に残ることがありま"
            "す。このため一時ファイルは暗号化し、鍵を消すことで読めなくします。"
        ),
        "cannot_swap": (
            "スワップ・休止状態ファイル・クラッシュダンプ（移行用PCでは無効にするか暗号化してくださ"
            "い）。"
        ),
        "cannot_legacy": (
            "移行元のファイルそのものと、それが置かれたディスク（所管課の廃棄手続によります）。"
        ),
        # -- 8 ---------------------------------------------------------------
        "s_certifications": "8. 委託業者の認証",
        "company": "委託業者",
        "certification": "認証",
        "number": "番号",
        "expires": "有効期限",
        "at_production": "本番予定日（{date}）の時点",
        "cert_valid": "有効",
        "cert_expires_soon": "有効（期限まで60日以内）",
        "cert_expires_before_production": "本番予定日より前に期限切れ",
        "cert_rule": (
            "本番移行の事前確認は、期限切れの認証があれば移行を実行せず、60日以内に期限を迎える認証"
            "を注意として報告書に記載します。"
        ),
        "no_certifications": "認証は計画に記載されていません。",
        # -- 9 ---------------------------------------------------------------
        "s_record": "9. 記録",
        "record_chain": (
            "ikou は工程ごとに、監査記録（{log}）へ事象を1行ずつ追記します。"
            "各行は前の行のハッシュを含む連鎖で、鍵保管場所の監査鍵による認証タグ（HMAC-SHA256）が"
            "付きます。値は含みません。行の変更・削除・差し替え・巻き戻しは検出され、"
            "記録が検証できなければ ikou は何も実行しません。"
        ),
        "record_head": (
            "各実行は封印（seal）で終わり、報告書にはその時点の連鎖の先頭（チェーンヘッド）と、"
            "読み上げ用の短縮形が印刷されます。押印した報告書と監査記録は互いを保証します。"
            "ikou audit verify {log} --head <短縮形> で、その報告書の実行が記録に残り封印されている"
            "ことを確かめられます。"
        ),
        "record_gate": (
            "本番移行は、この計画（ハッシュ {short}）と同一の内容で照合が一致したリハーサルが {days"
            "} 日以内にあるときだけ実行でき、同じ計画での2回目の本番移行は拒否されます。"
        ),
        "record_council_required": (
            "本番移行には、この計画に対する審議会の承認を ikou council record で記録しておく必要が"
            "あります。承認の後に計画・マッピング・契約・参照表のいずれかが変われば、"
            "ハッシュが変わり、本番移行の事前確認で拒否されます。"
        ),
        "record_council_not_required": (
            "この計画は審議会の承認を要しないとされています（理由：{reason}）。"
            "すべての報告書にこの理由が印刷されます。"
        ),
        "record_files": "ハッシュの対象ファイル",
        "file": "ファイル",
        "sha256": "SHA-256",
        "hashed_plan": "計画",
        "hashed_mapping": "マッピング",
        "hashed_contract": "契約",
        "hashed_lookup": "参照表",
        "hashed_gaiji": "外字表",
        # -- signatures ------------------------------------------------------
        "signatures": "確認欄",
        "signatures_intro": "本説明書（計画「{name}」、ハッシュ {short}）の内容を確認しました。",
        "party": "区分",
        "organisation": "所属・名称",
        "signer": "職・氏名",
        "date": "日付",
        "seal": "印",
        "party_department": "所管課",
        "party_vendor": "委託業者 代表者",
        "blank_date": "令和　　年　　月　　日",
    },
    "en": {
        "title": "Brief on the handling of personal data (data migration)",
        "subtitle": "For the privacy council (個人情報保護運営審議会)",
        "plan": "Plan",
        "plan_file": "Plan file",
        "plan_sha256": "Plan hash (SHA-256)",
        "plan_short": "Plan hash (short form)",
        "generated": "Generated",
        "production_date": "Planned production date",
        "version": "ikou version",
        "footer_plan": "plan",
        "made_from": (
            "This brief is generated from the migration plan, mapping and contract only (and, when "
            "given, a structure-only profile). No source file — live data or test data — was "
            "opened, and it holds no personal value."
        ),
        "warnings": "Warnings",
        "warnings_intro": (
            "The plan does not say the following, or they need attention before production."
        ),
        "no_warnings": "No warnings.",
        "not_declared": "not declared in the plan",
        "none": "none",
        "yes": "yes",
        "no": "no",
        "list_sep": ", ",
        "plus": " + ",
        "in_parens": "({})",
        "warn_no_section": "The owning section (section) is not declared in the plan.",
        "warn_no_production_source": (
            "The production files of source '{source}' (production) are not declared in the plan."
        ),
        "warn_no_site": "Where the work happens (site) is not declared in the plan.",
        "warn_no_target_url": "The production target database (target.url) is not declared.",
        "warn_no_media_rule": "The removable-media rule (media) is not declared in the plan.",
        "warn_register_unverified": (
            "This PC's media register could not be verified; ask the IT section to look at it."
        ),
        "warn_no_network": "The network during the work (site.network) is not declared.",
        "warn_kept_values_personal": (
            "The profile keeps the values of column '{column}', which feeds a personal column; "
            "review the profile before it leaves the office."
        ),
        "warn_no_people": "The operator, witnesses and approvers (people) are not declared.",
        "warn_no_approvers": "No approvers (people.approvals) are declared.",
        "warn_no_vendor": "The contractor (vendor) is not declared in the plan.",
        "warn_no_certifications": (
            "The contractor's certifications (vendor.certifications) are not declared."
        ),
        "warn_certification_expires": (
            "Certification '{name}' ({number}) expires on {expires}, before the planned production "
            "date."
        ),
        "s_subject": "1. Subject and purpose",
        "subject_name": "Subject (plan)",
        "subject_description": "Purpose",
        "subject_section": "Owning section",
        "subject_company": "Contractor",
        "subject_mapping": "Migration rules (mapping)",
        "subject_contract": "New system (contract)",
        "s_personal_data": "2. Personal data handled",
        "personal_intro": (
            "Every target table and column, the source column it comes from, and whether it is "
            "personal data: as the contract's personal key says; where it says nothing, a column "
            "read from a source is personal and a column ikou generates is not."
        ),
        "table": "Table",
        "column": "Column",
        "from": "Source column",
        "personal": "Personal",
        "basis": "Basis",
        "source": "Source",
        "destination": "Destination",
        "records": "Records",
        "records_profile": "Records (from the profile)",
        "records_unknown": "— (no profile)",
        "personal_columns": "Personal columns",
        "personal_count": "{n} of {total} columns",
        "dest_database": "loaded into the target database",
        "dest_import_file": "written to the vendor's import file",
        "from_sheet": "sheet name",
        "from_file": "file name",
        "from_cell": "cell {cell} (title)",
        "basis_declared": "declared by the contract",
        "basis_read": "read from a source",
        "basis_generated": "generated by ikou",
        "basis_not_fed": "not filled by this migration",
        "rehearsal_files": "Test data",
        "production_files": "Live data",
        "sheets": "Sheets",
        "all_visible_sheets": "every visible sheet",
        "profile_counts": "Records counted by the profile {path}",
        "profile_counts_intro": (
            "Records are the data rows the profile counted (total and blank rows excluded). A "
            "sheet is named only when the plan names it; otherwise by its position."
        ),
        "profile_sheet": "file {file}, sheet {position}",
        "profile_unmatched": "Files no source of the plan reads: {n} (not counted)",
        "profile_none_for_source": "the profile describes no file of this source",
        "s_flow": "3. Workflow and place of work",
        "site_place": "Place",
        "site_pc": "PC",
        "site_network": "Network during the work",
        "stage": "Stage",
        "stage_what": "What it does",
        "stage_where": "Where the data is",
        "stage_extract": "Extract",
        "stage_map": "Map",
        "stage_validate": "Validate",
        "stage_load": "Load",
        "stage_reconcile": "Reconcile",
        "stage_report": "Report",
        "stage_extract_what": (
            "Reads the source files into tables in memory. A password-protected file is decrypted "
            "in memory; no decrypted copy is written to disk."
        ),
        "stage_map_what": (
            "Turns the tables into the target's shape by the mapping's rules; a row that cannot be "
            "converted is recorded by its row number and a reason code."
        ),
        "stage_validate_what": (
            "Checks the contract's rules (type, required, pattern, range, uniqueness, references); "
            "a failure is recorded by row and rule name."
        ),
        "stage_load_what": (
            "Loads the target in one transaction (an import file is written under a temporary "
            "name)."
        ),
        "stage_reconcile_what": (
            "Reads the target back and proves counts, each row's hash and the control totals "
            "agree; otherwise the load is rolled back and the import file destroyed."
        ),
        "stage_report_what": (
            "Writes the report (counts, reason codes, row numbers, hashes) and the audit record."
        ),
        "where_memory": "memory (the migration PC)",
        "where_target": "the target (inside one transaction)",
        "where_committed": "committed in the target only when everything agrees",
        "where_workspace": "the workspace {workspace} (no values)",
        "scratch": "Scratch",
        "scratch_rule": (
            "Where a temporary file cannot be avoided (converting a Word 97-2003 .doc), it is put "
            "in a RAM-backed folder (/dev/shm on Linux). On an OS without one it is kept in the "
            "workspace encrypted with AES-256-GCM under a key held only in memory. Either is "
            "destroyed when the run ends. The production preflight checks the migration PC's "
            "scratch and swap and records them in the report."
        ),
        "scratch_here_ram": "The PC this brief was generated on has RAM-backed scratch.",
        "scratch_here_disk": (
            "The PC this brief was generated on has no RAM-backed scratch: temporary files are "
            "encrypted on disk."
        ),
        "written": "What is written",
        "written_target": "The target database: {kind} ({where})",
        "written_target_missing": "The target database: not declared in the plan (target.url)",
        "written_import": "The vendor's import file: {table} ({format}, {encoding}) → {path}",
        "written_import_run_folder": "the run's folder",
        "written_records": (
            "Reports, the audit record and the custody journal (table and column names, row "
            "numbers, counts and hashes only, never a value)"
        ),
        "written_digests": (
            "Keyed digests for later reconciliation and ikou sweep (HMAC-SHA256; they cannot be "
            "turned back into values)"
        ),
        "kind_postgresql": "PostgreSQL",
        "kind_sqlite": "SQLite file",
        "kind_unknown": "an unparseable URL",
        "never_written": "What is never written",
        "never_plain": (
            "A plain copy of source values (other than the target database and the import files): "
            "data between stages stays in memory."
        ),
        "never_logs": (
            "A value in a log, report, the audit record, on screen or in this brief (they name "
            "tables, columns, row numbers, counts and hashes only)."
        ),
        "never_decrypted": "A decrypted copy of a password-protected file.",
        "never_passwords": (
            "Passwords (taken from an environment variable or a prompt; never in the plan, the "
            "command line or a record)."
        ),
        "never_credentials": (
            "Database user names and passwords (this brief gives the target's kind and place only)."
        ),
        "s_handover": "4. Handing data over",
        "media_rule": "Removable media",
        "media_none": (
            "No removable medium is used (media: none). During production ikou media watch records "
            "insertions; a production run does not start with a medium mounted and stops before "
            "its commit if one is inserted."
        ),
        "media_required": (
            "Registered media only (media: watch: required). ikou media watch must run during "
            "production; every insertion in the run's window is in the report, an unregistered "
            "medium marked."
        ),
        "media_optional": (
            "Registered media only (media: watch: optional). Watching is optional; if the PC has a "
            "media log, the report lists the insertions during the run."
        ),
        "media_undeclared": (
            "Not declared in the plan. If the PC has a media log, the report lists the insertions "
            "during the run."
        ),
        "media_writes": (
            "An import file is written to a removable medium only if the medium is registered and "
            "genuine; each write records when, the file's hash and who did it, in the audit "
            "record, the PC's media log and the usage log on the medium."
        ),
        "register": "Media registered on this PC",
        "register_none": "The PC this brief was generated on has no media register.",
        "register_unverified": (
            "This PC's media register could not be verified (its contents are not shown)."
        ),
        "register_empty": "No medium is registered.",
        "medium_id": "Medium",
        "medium_holder": "Holder",
        "medium_registered": "Registered",
        "medium_state": "State",
        "medium_active": "in use",
        "medium_retired": "retired ({date})",
        "network": "Network",
        "carrier": "Carrying import files",
        "carrier_operator": (
            "The operator {operator} hands the import files ({tables}) to the vendor."
        ),
        "carrier_unknown": (
            "Who hands the import files ({tables}) to the vendor is not declared (people.operator)."
        ),
        "carrier_none": "No import file: every table is loaded into the target database directly.",
        "s_test_data": "5. Test data",
        "test_intro": (
            "Rehearsals run on test data only, never on live data: a synthetic twin made with ikou "
            "synth from a value-free profile of the live files (ikou profile), or test data the "
            "operator provides and declares."
        ),
        "test_checks": (
            "A rehearsal first checks that no file it reads is a production file of the plan (the "
            "same path or the same bytes); after a production run it refuses test data holding "
            "many live records. Each rehearsal's report says, file by file, whether it was a "
            "synthetic twin or declared test data."
        ),
        "test_kind": "Kind (as this PC's marker says)",
        "test_synthetic": "synthetic twin (made by {made_by})",
        "test_declared": "test data declared by the operator",
        "test_absent": "no file yet",
        "test_files": "{n} file(s)",
        "test_max_age": (
            "A production run needs a reconciled rehearsal of this exact plan (its hash) within "
            "{days} days (rehearsal.max_age_days)."
        ),
        "test_keep_target": (
            "The rehearsal's target is kept for inspection and destroyed by ikou shred "
            "(rehearsal.keep_target)."
        ),
        "test_shred_target": "The rehearsal's target is destroyed before its report is written.",
        "profile": "Profile",
        "profile_kept": "Columns whose values are kept",
        "profile_kept_none": (
            "The profile {path} keeps no column's values (structure, shares and counts only)."
        ),
        "profile_kept_intro": (
            "The profile {path} keeps the distinct values of these columns; they must not be "
            "personal."
        ),
        "profile_feeds": "Target columns",
        "profile_feeds_none": "feeds no column",
        "s_approval": "6. Witnessing and approval",
        "owner": "Owner (the section holding the data)",
        "operator": "Operator",
        "witnesses": "Witnesses (any one)",
        "role": "Role",
        "approver_role": "Approver ({role})",
        "approvers": "Approvers (each role)",
        "usual": "Usual approver",
        "substitutes": "Substitutes",
        "absent_rule": (
            "When the usual approver is absent, one of the substitutes named in the plan approves. "
            "A substitute must be named in the plan beforehand, never chosen on the day; the "
            "report records for whom a substitute signed."
        ),
        "signs": "What each signs",
        "signs_approver": (
            "Signs on before the production run, once its preflight has passed (name and the code "
            "on screen), and signs and seals the migration sign-off sheet afterwards."
        ),
        "signs_witness": (
            "Watches the production run, signs on before it starts, and signs and seals the "
            "sign-off sheet and the destruction certificate."
        ),
        "signs_operator": (
            "Runs ikou, and signs and seals the sign-off sheet and the destruction certificate."
        ),
        "signs_owner": "Keeps the plan, the reports and the certificates.",
        "people_missing": (
            "The operator, witnesses and approvers are not declared in the plan (people). A "
            "production run cannot happen until they are, and the witness and each approver have "
            "signed on."
        ),
        "s_copies": "7. Copies and their destruction",
        "copies_intro": (
            "A migration makes copies. Every copy ikou makes is recorded before it exists, hashed, "
            "logged in the audit record and destroyed."
        ),
        "copy_kind": "Copy",
        "copy_where": "Where",
        "copy_protect": "Protection and record",
        "copy_end": "Destruction and certificate",
        "copy_rehearsal_target": "The rehearsal's target (test data)",
        "copy_rehearsal_target_where_shredded": "an SQLite file in the run's folder",
        "copy_rehearsal_target_where_kept": "an SQLite file in the run's folder",
        "copy_rehearsal_target_where_office": (
            "the rehearsal database the plan names (rehearsal_url)"
        ),
        "copy_rehearsal_target_protect": (
            "test data only; its size and SHA-256 in the report and the audit record"
        ),
        "copy_rehearsal_target_end_shredded": (
            "destroyed before the report (overwritten, renamed, unlinked, verified)"
        ),
        "copy_rehearsal_target_end_kept": (
            "kept for inspection; destroyed by ikou shred and listed on the destruction certificate"
        ),
        "copy_rehearsal_target_end_office": (
            "kept; an SQLite file is destroyed by ikou shred, a server database by the office"
        ),
        "copy_rehearsal_import": "The rehearsal's import files (test data)",
        "copy_rehearsal_import_where_shredded": "the run's folder",
        "copy_rehearsal_import_where_kept": (
            "the run's folder, or rehearsal_path (for the vendor's test import)"
        ),
        "copy_rehearsal_import_protect": (
            "test data only; rows, size and SHA-256 in the report and the audit record"
        ),
        "copy_rehearsal_import_end_shredded": "destroyed when the run ends",
        "copy_rehearsal_import_end_kept": (
            "kept for the vendor's test import; ikou shred destroys it"
        ),
        "copy_scratch": "Temporary files (only where unavoidable, e.g. an outside converter)",
        "copy_scratch_where_default": (
            "a RAM-backed folder (/dev/shm), or else a scratch folder in the workspace"
        ),
        "copy_scratch_protect": (
            "registered in the custody journal before it exists; AES-256-GCM under a key held only "
            "in memory (a file an outside program reads is plain, and in production only in RAM); "
            "its hash in the audit record"
        ),
        "copy_scratch_end_default": (
            "destroyed when the run ends (overwritten, renamed, unlinked, verified), by the next "
            "command after a crash; the report says each was verified gone"
        ),
        "copy_target": "The target database (production)",
        "copy_target_protect": (
            "in the new system's keeping; keyed digests of the loaded rows in the sealed manifest"
        ),
        "copy_target_end_default": (
            "kept as the new system's data (ikou never destroys it); ikou reconcile checks it later"
        ),
        "copy_import_file": "The production import file (plain, in the vendor's format)",
        "copy_import_file_where_path": "the plan's path (where the vendor's loader reads it)",
        "copy_import_file_where_run_folder": "the run's folder",
        "copy_import_file_protect": (
            "named only once reconciled; SHA-256, size and rows in the audit record and the "
            "custody journal; registered media only"
        ),
        "copy_import_file_end_default": (
            "after the vendor's import is confirmed, destroyed by ikou shred and listed on the "
            "destruction certificate; on a medium, ikou media erase and its certificate"
        ),
        "copy_fingerprints": "Record fingerprints (for ikou sweep)",
        "copy_fingerprints_where_default": "fingerprints/ in the workspace",
        "copy_fingerprints_protect": (
            "keyed digests only (HMAC-SHA256); the key in the key store, apart from the workspace"
        ),
        "copy_fingerprints_end_default": (
            "destroyed by ikou shred, with the key (a cryptographic erase); on the certificate"
        ),
        "copy_manifest": "The sealed manifest (keyed digests of each production row and cell)",
        "copy_manifest_where_default": "manifests/ in the workspace",
        "copy_manifest_protect": "no values; its SHA-256 sealed in the audit record",
        "copy_manifest_end_default": "destroyed by ikou shred and listed on the certificate",
        "copy_records": "Reports, the audit record, the custody journal, this brief",
        "copy_records_where_default": "the workspace",
        "copy_records_protect": (
            "no values; the audit record and the journal are hash chains with authentication tags"
        ),
        "copy_records_end_default": "kept as the record",
        "sweep_title": "ikou sweep",
        "sweep_text": (
            "ikou sweep looks on shared drives and USB sticks for copies made outside ikou (an "
            "exported CSV, a workbook saved under another name, rows pasted into a memo) by the "
            "record fingerprints. No value is stored, and without the key nothing can be matched. "
            "It names what it finds and exits 1."
        ),
        "cannot_title": "What ikou cannot see",
        "cannot_outside": (
            "Copies made outside it: by Explorer, Office's temporary and AutoRecover files, mail "
            "attachments, backups, shadow copies, cloud sync."
        ),
        "cannot_photo": "Photographs of the screen, notes copied by hand.",
        "cannot_flash": (
            "Wear levelling on SSDs and USB sticks: overwritten data may remain in the flash "
            "cells. That is why temporary files are encrypted and their key destroyed."
        ),
        "cannot_swap": (
            "Swap, the hibernation file, crash dumps (turn them off or encrypt them on the "
            "migration PC)."
        ),
        "cannot_legacy": (
            "The legacy files themselves and the disks they lived on (the office's disposal "
            "process)."
        ),
        "s_certifications": "8. The contractor's certifications",
        "company": "Contractor",
        "certification": "Certification",
        "number": "Number",
        "expires": "Expires",
        "at_production": "On the production date ({date})",
        "cert_valid": "valid",
        "cert_expires_soon": "valid (expires within 60 days)",
        "cert_expires_before_production": "expires before the production date",
        "cert_rule": (
            "The production preflight refuses to run with an expired certification and notes one "
            "expiring within 60 days in the report."
        ),
        "no_certifications": "No certification is declared in the plan.",
        "s_record": "9. The record",
        "record_chain": (
            "ikou appends one event per step to the audit record ({log}). Each line holds the hash "
            "of the line before and an authentication tag (HMAC-SHA256) under the audit key kept "
            "in the key store; no values. A line changed, removed, replaced or rolled back is "
            "detected, and ikou acts on nothing while the record does not verify."
        ),
        "record_head": (
            "Every run ends in a seal, and its report prints the head of the chain with a short "
            "form for reading aloud: the sealed paper and the record vouch for each other. ikou "
            "audit verify {log} --head <short form> proves the report's run is in the record and "
            "sealed."
        ),
        "record_gate": (
            "A production run happens only with a reconciled rehearsal of this exact plan (hash "
            "{short}) within {days} days, and a second production run of the same plan is refused."
        ),
        "record_council_required": (
            "A production run needs the council's approval of this plan recorded with ikou council "
            "record. A plan, mapping, contract or lookup table changed after the approval changes "
            "the hash and fails the production preflight."
        ),
        "record_council_not_required": (
            "The plan says it needs no council approval (reason: {reason}); every report prints "
            "the reason."
        ),
        "record_files": "Files the hash covers",
        "file": "File",
        "sha256": "SHA-256",
        "hashed_plan": "plan",
        "hashed_mapping": "mapping",
        "hashed_contract": "contract",
        "hashed_lookup": "lookup table",
        "hashed_gaiji": "gaiji table",
        "signatures": "Acknowledgement",
        "signatures_intro": "We have read this brief (plan '{name}', hash {short}).",
        "party": "Party",
        "organisation": "Organisation",
        "signer": "Title and name",
        "date": "Date",
        "seal": "Seal",
        "party_department": "Owning section",
        "party_vendor": "Contractor's representative",
        "blank_date": "____ / ____ / ______",
    },
}
