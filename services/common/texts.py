"""Every word the public pages show, in Chinese (the default) and English.

One catalog, so a translator works in one file and a missing translation fails a unit test.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "site_name": "举报平台",
        "switch_language": "English",
        "skip_to_form": "跳到表格",
        "form_title": "匿名举报",
        "form_intro": "只有第一项必填，约三分钟即可完成。您不必留下姓名。",
        "safety_note": "请尽量使用自己的手机或可信的电脑，完成后关闭浏览器窗口。",
        "narrative_label": "发生了什么？（必填）",
        "narrative_help": (
            "用自己的话写：谁、做了什么、在哪里、什么时候、您怎么知道的。"
            "具体的名字、地点、金额和日期对调查最有帮助。至少 10 个字。"
        ),
        "optional": "以下都可不填",
        "where_legend": "在哪里",
        "province_label": "省份",
        "city_label": "城市",
        "location_details_label": "具体地点（街道、村、单位）",
        "when_label": "大概什么时候发生",
        "people_label": "涉及的人（每行一个）",
        "organisations_label": "涉及的单位或公司（每行一个）",
        "contact_summary": "希望调查人员联系您？（可选，默认匿名）",
        "contact_help": "只有在您愿意时才填写。留空即完全匿名。",
        "contact_name_label": "称呼",
        "contact_phone_label": "电话",
        "contact_email_label": "电子邮箱",
        "contact_handle_label": "微信或其他联系方式",
        "evidence_legend": "证据文件",
        "evidence_help": (
            "照片、录音、视频和文档：提交后，在显示查询码的下一页即可添加；"
            "以后也可以凭查询码在进度页添加。"
        ),
        "attach_title": "添加证据文件",
        "attach_help": (
            "可以上传照片、录音、视频、PDF 和 Word/Excel/PowerPoint 等文档。"
            "我们会尽量删除文件里隐藏的信息（如拍摄地点），并告诉您删除了什么。"
        ),
        "attach_limits": (
            "每份举报最多 {files} 个文件；每个文件最多 {file_mb} MB，"
            "PDF 和办公文档最多 {document_mb} MB。"
        ),
        "attach_files_label": "选择文件（可多选）",
        "attach_button": "上传文件",
        "attach_sending_note": "大文件上传需要一些时间，请不要关闭页面。",
        "attached_title": "文件已收到",
        "attached_intro": "以下文件已加密保存，只有负责调查的人员可以查看：",
        "attach_failed_title": "文件没有全部上传",
        "attach_stored_before": "出问题之前，这些文件已经保存：",
        "attach_not_read": "这个文件和它后面的文件都没有保存，请修改后重新上传。",
        "file_number": "文件 {n}",
        "file_type": "类型",
        "file_size": "大小",
        "metadata_removed": "已删除的隐藏信息",
        "metadata_none": "没有发现需要删除的隐藏信息。",
        "metadata_kept": "无法删除",
        "metadata_kept_media": (
            "这类文件可能仍含隐藏信息（如设备、录制时间或地点），我们按原样保存。"
        ),
        "metadata_kept_document": "文档正文、批注、修订和其中图片里的姓名等内容保持原样。",
        "upload_too_large": (
            "文件太大。每个文件最多 {file_mb} MB，PDF 和办公文档最多 {document_mb} MB，"
            "一份举报的全部文件合计最多 {report_mb} MB。"
        ),
        "upload_refused": (
            "这个文件不能接受。只接受照片（JPEG、PNG、GIF、WebP、HEIC）、录音、视频、PDF "
            "以及 Word、Excel、PowerPoint 和 OpenDocument 文档；文件不能为空、损坏或设有密码。"
        ),
        "upload_too_many": "一份举报最多 {files} 个文件，已经达到上限。",
        "upload_code_first": "表单有误：查询码必须在文件之前发送。请回到上一页重新上传。",
        "upload_no_code": "请填写查询码。",
        "upload_no_files": "请至少选择一个文件。",
        "upload_malformed": "上传没有完成或表单有误，没有保存任何不完整的文件。请重试。",
        "attach_more": "继续添加文件",
        "status_link_plain": "查看进度页",
        "submit": "提交举报",
        "errors_title": "请修改以下内容：",
        "done_title": "举报已收到",
        "code_intro": "这是您的查询码。它只显示这一次：",
        "code_warning": (
            "请立即抄下或保存这个查询码，并放在安全的地方。"
            "凭它可以查看进度、补充信息；没有它，我们也无法找回您的举报。"
            "不要把它发给别人。"
        ),
        "copy_code": "复制查询码",
        "copied": "已复制",
        "status_link": "查看进度",
        "new_report": "再提交一份举报",
        "too_many_title": "提交过于频繁",
        "too_many_body": (
            "为了防止滥用，同一网络短时间内的提交次数有限。请稍后再试，您填写的内容没有保存。"
        ),
        "status_title": "查询举报进度",
        "code_label": "查询码",
        "code_help": "例如 K7Q-M3X-W9T-Z4H-8PD-2RA-N6C，大小写、空格和横线都没关系。",
        "check": "查询",
        "code_empty": "请输入您的查询码。",
        "tracker_index_intro": "凭查询码查看您举报的进度，或者提交新的举报。",
        "api_docs_link": "接口文档（供工作人员和开发者使用）",
        "code_typo": "这个查询码有错字：请逐个字符核对后重试。",
        "form_too_large_title": "内容太多，无法发送",
        "form_too_large_body": (
            "您发送的内容超过了 {kb} KB 的上限，因此没有被读取或保存。请缩短后重试；"
            "照片和文件请在提交举报后另行上传。"
        ),
        "status_too_large": "您发送的内容超过了 {kb} KB 的上限，因此没有被读取。请缩短后重试。",
        "code_too_many": (
            "这个网络最近输错查询码的次数太多，查询暂停。请在 {seconds} 秒后再试，"
            "并逐个字符核对查询码。"
        ),
        "outage_title": "暂时无法服务",
        "outage_body": (
            "系统暂时无法保存或读取举报，您的内容没有被保存。请在 {seconds} 秒后重新提交；"
            "如果页面还开着，返回即可找回填写的内容。"
        ),
        "refused_title": "无法处理这次请求",
        "too_large_body": "您发送的内容超过了 {kb} KB 的上限，因此没有被读取或保存。请缩短后重试。",
        "body_timeout_body": "内容发送到一半停止了，因此没有被保存。请检查网络后重试。",
        "busy_body": "这个网络同时发来的请求太多。请在 {seconds} 秒后再试。",
        "back_to_form": "返回举报表单",
        "code_unknown": "没有与这个查询码对应的举报。请核对后重试。",
        "stages_title": "进度",
        "current_stage": "目前状态",
        "messages_title": "消息",
        "sender_investigator": "调查人员",
        "sender_reporter": "您",
        "question_open": "等待您回答",
        "message_label": "写给调查人员（不要写查询码）",
        "reply_to_label": "这是",
        "reply_new_information": "补充新的信息",
        "reply_answer_to": "对问题的回答：",
        "send_message": "发送",
        "message_sent": "已发送。调查人员会看到您的消息。",
        "message_refused": "无法发送：这个案件已经结束或消息已满。如有新情况，请提交新的举报。",
        "case_closed": "这个案件已经结束，不再接收消息。如有新情况，请提交新的举报。",
        "add_information_title": "补充信息",
        "add_information_help": "回答调查人员的问题，或补充您新了解到的情况。只有调查人员能看到。",
        "report_link": "我要举报",
        "field_required": "这一项必填。",
        "field_too_short": "太短了：至少需要 {min} 个字。",
        "field_too_long": "太长了：最多 {max} 个字。",
        "field_invalid": "格式不对，请检查。",
        "field_future": "时间不能在将来。",
        "staff_sign_in_title": "工作人员登录",
        "staff_token_label": "工作人员令牌",
        "staff_token_help": (
            "粘贴签发给您的令牌。它只保存在本浏览器的安全 Cookie 中，关闭浏览器即失效。"
        ),
        "sign_in": "登录",
        "sign_out": "退出",
        "staff_entry_title": "录入电话或来信举报",
        "staff_channel_label": "来源",
        "channel_phone": "电话",
        "channel_letter": "来信",
        "staff_reference_label": "原件编号（来电记录号或信件编号）",
        "staff_done_title": "已录入",
        "staff_code_intro": "请把这个查询码告诉举报人（只显示一次）：",
        "staff_next": "录入下一份",
        "staff_bad_session": "登录已失效或表单已过期，请重新登录。",
    },
    "en": {
        "site_name": "Tipline",
        "switch_language": "中文",
        "skip_to_form": "Skip to the form",
        "form_title": "Report anonymously",
        "form_intro": (
            "Only the first box is required; it takes about three minutes. "
            "You do not have to give your name."
        ),
        "safety_note": (
            "If you can, use your own phone or a computer you trust, and close this window "
            "when you are done."
        ),
        "narrative_label": "What happened? (required)",
        "narrative_help": (
            "In your own words: who did what, where, when, and how you know. Names, places, "
            "amounts and dates help investigators most. At least 10 characters."
        ),
        "optional": "Everything below is optional",
        "where_legend": "Where",
        "province_label": "Province",
        "city_label": "City",
        "location_details_label": "Exact place (street, village, workplace)",
        "when_label": "Roughly when it happened",
        "people_label": "People involved (one per line)",
        "organisations_label": "Organisations or companies involved (one per line)",
        "contact_summary": "Want investigators to contact you? (optional; anonymous by default)",
        "contact_help": "Only if you wish. Leave these empty to stay completely anonymous.",
        "contact_name_label": "Name",
        "contact_phone_label": "Phone",
        "contact_email_label": "Email",
        "contact_handle_label": "WeChat or another messaging handle",
        "evidence_legend": "Evidence files",
        "evidence_help": (
            "Photos, recordings, videos and documents: you attach them on the next page, right "
            "after your tracking code is shown, or later with the code from the status page."
        ),
        "attach_title": "Attach evidence files",
        "attach_help": (
            "Photos, recordings, videos, PDF and Word, Excel or PowerPoint documents. We remove "
            "hidden information (such as where a photo was taken) where we can, and tell you "
            "what we removed."
        ),
        "attach_limits": (
            "Up to {files} files per report; each file up to {file_mb} MB, PDF and office "
            "documents up to {document_mb} MB."
        ),
        "attach_files_label": "Choose files (several at once if you like)",
        "attach_button": "Upload files",
        "attach_sending_note": "Large files take a while; keep this page open.",
        "attached_title": "Files received",
        "attached_intro": (
            "These files are stored encrypted; only the investigators on your case can open them:"
        ),
        "attach_failed_title": "Not all files were uploaded",
        "attach_stored_before": "These files were stored before the problem:",
        "attach_not_read": (
            "This file and any after it were not stored; please correct it and upload again."
        ),
        "file_number": "File {n}",
        "file_type": "Type",
        "file_size": "Size",
        "metadata_removed": "Hidden information removed",
        "metadata_none": "We found no hidden information to remove.",
        "metadata_kept": "Could not remove",
        "metadata_kept_media": (
            "Files of this kind may still hold hidden information (such as the device, time or "
            "place of recording); we store them as they are."
        ),
        "metadata_kept_document": (
            "Names or notes inside the document's own text, comments, tracked changes and "
            "images stay as they are."
        ),
        "upload_too_large": "{reason}.",
        "upload_refused": "This file cannot be accepted: {reason}.",
        "upload_too_many": "{reason}.",
        "upload_code_first": (
            "The form was sent in the wrong order: the tracking code must come before the "
            "files. Go back and upload again."
        ),
        "upload_no_code": "Please enter your tracking code.",
        "upload_no_files": "Please choose at least one file.",
        "upload_malformed": (
            "The upload did not finish or the form was damaged; no partial file was kept. "
            "Please try again."
        ),
        "attach_more": "Attach more files",
        "status_link_plain": "Go to the status page",
        "submit": "Send report",
        "errors_title": "Please correct the following:",
        "done_title": "Your report was received",
        "code_intro": "This is your tracking code. It is shown only this once:",
        "code_warning": (
            "Write it down or save it now, somewhere safe. With it you can follow your report "
            "and add information; without it, nobody can find your report again, not even us. "
            "Do not share it."
        ),
        "copy_code": "Copy code",
        "copied": "Copied",
        "status_link": "Check the status",
        "new_report": "Make another report",
        "too_many_title": "Too many reports at once",
        "too_many_body": (
            "To prevent abuse, the number of reports from one network in a short time is "
            "limited. Please try again later; nothing you typed was kept."
        ),
        "status_title": "Check a report's status",
        "code_label": "Tracking code",
        "code_help": "Like K7Q-M3X-W9T-Z4H-8PD-2RA-N6C. Case, spaces and hyphens do not matter.",
        "check": "Check",
        "code_empty": "Enter your tracking code.",
        "tracker_index_intro": "Follow your report with its tracking code, or make a new report.",
        "api_docs_link": "API documentation (for staff and developers)",
        "code_typo": "This code has a typo: check it symbol by symbol and try again.",
        "form_too_large_title": "Too much to send at once",
        "form_too_large_body": (
            "What you sent is over the {kb} KB limit, so it was neither read nor kept. Please "
            "shorten it and try again; attach photos and files after sending the report."
        ),
        "status_too_large": (
            "What you sent is over the {kb} KB limit, so it was not read. Please shorten it and "
            "try again."
        ),
        "code_too_many": (
            "Too many wrong tracking codes came from this network lately, so lookups are "
            "paused. Try again in {seconds} seconds, and check the code symbol by symbol."
        ),
        "outage_title": "Temporarily unavailable",
        "outage_body": (
            "Reports cannot be stored or read just now, so what you sent was not kept. Please "
            "send it again in {seconds} seconds; going back keeps what you typed."
        ),
        "refused_title": "This request could not be handled",
        "too_large_body": (
            "What you sent is over the {kb} KB limit, so it was neither read nor kept. Please "
            "shorten it and try again."
        ),
        "body_timeout_body": (
            "What you sent stopped arriving halfway, so nothing was kept. Check the connection "
            "and try again."
        ),
        "busy_body": "Too many requests at once from this network. Try again in {seconds} seconds.",
        "back_to_form": "Back to the reporting form",
        "code_unknown": "No report matches this tracking code. Check the code and try again.",
        "stages_title": "Progress",
        "current_stage": "Current stage",
        "messages_title": "Messages",
        "sender_investigator": "Investigators",
        "sender_reporter": "You",
        "question_open": "waiting for your answer",
        "message_label": "Write to the investigators (never write your tracking code)",
        "reply_to_label": "This is",
        "reply_new_information": "new information",
        "reply_answer_to": "an answer to:",
        "send_message": "Send",
        "message_sent": "Sent. The investigators will see your message.",
        "message_refused": (
            "Could not send: this case is concluded or holds no more messages. For anything "
            "new, make a new report."
        ),
        "case_closed": (
            "This case is concluded and takes no more messages. For anything new, make a new "
            "report."
        ),
        "add_information_title": "Add information",
        "add_information_help": (
            "Answer the investigators' questions or add what you have learned since. Only "
            "investigators can read it."
        ),
        "report_link": "Make a report",
        "field_required": "This is required.",
        "field_too_short": "Too short: at least {min} characters.",
        "field_too_long": "Too long: at most {max} characters.",
        "field_invalid": "This does not look right; please check it.",
        "field_future": "This must not be in the future.",
        "staff_sign_in_title": "Staff sign-in",
        "staff_token_label": "Staff token",
        "staff_token_help": (
            "Paste the token issued to you. It is kept only in a secure cookie of this "
            "browser and ends when the browser closes."
        ),
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "staff_entry_title": "Enter a phone call or letter",
        "staff_channel_label": "Came by",
        "channel_phone": "Phone",
        "channel_letter": "Letter",
        "staff_reference_label": "Reference of the original (call log or letter number)",
        "staff_done_title": "Entered",
        "staff_code_intro": "Give the reporter this tracking code (shown only once):",
        "staff_next": "Enter the next one",
        "staff_bad_session": "Your sign-in has ended or the form expired. Please sign in again.",
    },
}


# What the evidence pipeline says it removed (services/intake/evidence/domain.py), in Chinese; the
# English is the pipeline's own wording.
METADATA_ZH: dict[str, str] = {
    "EXIF/XMP (camera, time, GPS position)": "EXIF/XMP（相机型号、拍摄时间、GPS 位置）",
    "IPTC (author, caption)": "IPTC（作者、说明）",
    "camera data": "相机数据",
    "comments": "注释",
    "data appended after the end of the image": "附加在图片末尾的数据",
    "text notes (author, software, comments)": "文字注记（作者、软件、注释）",
    "EXIF (camera, time, GPS position)": "EXIF（相机型号、拍摄时间、GPS 位置）",
    "the time the image was last changed": "图片最后修改时间",
    "document properties (author, title, software, dates)": "文档属性（作者、标题、软件、日期）",
    "XMP metadata": "XMP 元数据",
    "document properties (author, company, dates, editing time)": (
        "文档属性（作者、公司、日期、编辑时长）"
    ),
}
