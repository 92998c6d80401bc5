"""What each indicator counts, in the reader's language, for the indicator pages and reports.

The English text is the indicator's own docstring (``Indicator.definition``,
written by the domain beside its query), shown without its source markup
(``code`` spans and the leading "CODE:"). The Vietnamese text is kept here,
one entry per code of ``shared/spec/indicators.md``, in the words a Vietnamese
librarian uses; a test checks that every registered indicator has one.
"""
from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .drill import COLUMN_LABELS

# Columns of the domains' drill-downs that the shared table of labels lacks, in words.
COLUMN_LABELS.update({
    "active_from": _l("Active from"), "active_to": _l("Active until"), "audience": _l("Audience"),
    "collection": _l("Collection"), "heritage": _l("Kind of heritage"), "host": _l("Host"),
    "level": _l("Level"), "minority_trainees": _l("Ethnic-minority trainees"), "place": _l("Place"),
    "school": _l("School"), "setting": _l("Setting"),
    # the Department's follow-up
    "inspectors": _l("Inspectors"), "medium": _l("Medium"), "made_by": _l("Made or requested by"),
    "purpose": _l("Purpose"), "donor": _l("Funder"), "amount": _l("Amount (VND)"), "commune": _l("Commune"),
    "programme": _l("Programme"), "partners": _l("Partners"), "direction": _l("Made or received"),
})

DEFINITIONS_VI = {
    "LIB.VISITS": "Số bộ ba (bạn đọc, đơn vị, ngày) khác nhau trong kỳ qua các lần bạn đọc được ghi nhận: quét thẻ "
                  "vào thư viện, mượn, trả sách, dùng máy tính Internet; cộng số lượt khách vãng lai do thư viện "
                  "đếm ghi tay. Gia hạn không tính là lượt bạn đọc.",
    "LIB.LOANS": "Số lượt mượn sách trong kỳ (không tính lượt đã hủy; gia hạn không phải lượt mượn), cộng số lượt "
                 "mượn ghi tay.",
    "LIB.RENEWALS": "Số lượt gia hạn trong kỳ, tính cho đơn vị đã cho mượn.",
    "LIB.ACTIVE_READERS": "Số bạn đọc khác nhau có ít nhất một lần được ghi nhận (vào thư viện, mượn, trả, dùng "
                          "Internet) trong kỳ; số của một nhóm đơn vị không đếm trùng một bạn đọc.",
    "LIB.COPIES_ADDED": "Số bản sách nhập kho trong kỳ tại đơn vị, nguồn mua, tặng, nộp lưu chiểu hoặc trao đổi. "
                        "Điều chuyển giữa các đơn vị trong mạng lưới không phải bổ sung.",
    "LIB.TITLES_ADDED": "Số tên sách (biểu ghi thư mục) khác nhau trong các bản sách bổ sung của đơn vị; số của "
                        "một nhóm là tổng các đơn vị.",
    "LIB.COPIES_WITHDRAWN": "Số bản sách thanh lý (mất, rách nát, loại bỏ) có ngày thanh lý trong kỳ, tính cho đơn "
                            "vị sở hữu.",
    "LIB.HOLDINGS": "Số bản sách đơn vị sở hữu vào ngày cuối kỳ và chưa thanh lý.",
    "LIB.PERIODICAL_TITLES": "Số tên báo, tạp chí khác nhau có đặt mua phủ ít nhất một ngày của kỳ hoặc có ít nhất "
                             "một số báo nhận trong kỳ; số của một nhóm là tổng các đơn vị.",
    "LIB.DISPLAYS": "Số cuộc trưng bày, giới thiệu sách theo chuyên đề do thư viện tổ chức, khai mạc trong kỳ; "
                    "cuộc đã hủy không tính.",
    "LIB.INTERNET_CONNECTED": "Mỗi thư viện 100 (có kết nối) hoặc 0, theo ghi nhận kết nối gần nhất đến ngày cuối "
                              "kỳ; chưa có ghi nhận là chưa kết nối. Số của một nhóm là tỷ lệ thư viện có kết nối.",
    "LIB.LLL_SERVICE_SHARE": "Một thư viện được tính khi trong kỳ vừa phục vụ bạn đọc (có lượt bạn đọc) vừa tự tổ "
                             "chức ít nhất một hoạt động học tập suốt đời: trưng bày chuyên đề, lớp hướng dẫn sử "
                             "dụng máy tính, Internet, lớp tập huấn, câu lạc bộ do thư viện duy trì hoặc hoạt động "
                             "văn hóa. Mỗi thư viện 100 hoặc 0; số của một nhóm là tỷ lệ thư viện được tính.",
    "ROT.CRATES_SENT": "Số lượt gửi thùng sách luân chuyển đến điểm Bưu điện văn hóa xã trong kỳ (theo ngày gửi), "
                       "tính cho thư viện sở hữu thùng; lượt hủy trước khi nhận không tính.",
    "ROT.COPIES_SENT": "Số bản sách trong các thùng đã gửi trong kỳ, như lúc thùng rời thư viện.",
    "ROT.POINTS_SERVED": "Số điểm Bưu điện văn hóa xã khác nhau nhận ít nhất một thùng sách trong kỳ.",
    "ROT.POINT_VISITS": "Số bộ ba (bạn đọc, điểm, ngày) khác nhau qua các lần được ghi nhận tại điểm, cộng số "
                        "lượt khách do điểm đếm ghi tay.",
    "ROT.POINT_LOANS": "Số lượt mượn tại điểm (không tính lượt đã hủy), cộng số lượt mượn ghi tay của điểm.",
    "ROT.COPIES_MISSING": "Số bản sách có trong thùng khi gửi đi nhưng không có khi thu hồi (theo ngày thu hồi), "
                          "tính cho thư viện sở hữu thùng.",
    "NET.SESSIONS": "Số lượt sử dụng máy tính đã kết thúc, không hủy, bắt đầu trong kỳ, tại đơn vị có máy.",
    "NET.HOURS": "Tổng thời gian các lượt sử dụng máy tính, tính bằng giờ (một chữ số thập phân).",
    "NET.USERS": "Số bạn đọc khác nhau sử dụng máy tính, cộng mỗi lượt khách vãng lai là một người.",
    "NET.TRAININGS": "Số lớp hướng dẫn sử dụng máy tính, Internet trong kỳ có ít nhất một người dự.",
    "NET.TRAINEES": "Số lượt người dự các lớp hướng dẫn trong kỳ, chia theo dân tộc và giới tính.",
    "NET.STATIONS": "Số máy tính phục vụ bạn đọc còn trong thời gian sử dụng vào ngày cuối kỳ.",
    "MUS.EXHIBITIONS": "Số cuộc trưng bày chuyên đề do bảo tàng tổ chức, khai mạc trong kỳ; cuộc đã hủy không "
                       "tính.",
    "MUS.MOBILE_EXHIBITIONS": "Số điểm dừng của các cuộc trưng bày lưu động khai mạc trong kỳ, mỗi điểm tính một "
                              "lần.",
    "MUS.HERITAGE_EVENTS": "Số hoạt động giới thiệu di sản do bảo tàng tổ chức, bắt đầu trong kỳ; hoạt động đã "
                           "hủy không tính.",
    "MUS.VISITORS": "Số lượt khách được đếm tại các cuộc trưng bày, hoạt động của bảo tàng trong các ngày của kỳ; "
                    "học sinh, sinh viên được tính riêng trong đó.",
    "MUS.ARTIFACTS_ADDED": "Số hiện vật có ngày nhập kho trong kỳ (kể cả tư liệu di sản phi vật thể).",
    "MUS.EDU_PROGRAMME_SHARE": "Một bảo tàng được tính khi trong kỳ có cuộc trưng bày hoặc hoạt động di sản ghi "
                               "nhận học sinh, sinh viên trong số khách, hoặc tổ chức lớp học. Mỗi bảo tàng 100 "
                               "hoặc 0; số của nhóm là tỷ lệ bảo tàng được tính.",
    "MUS.LEARNING_VISITORS": "Số lượt khách là học sinh, sinh viên (kể cả đoàn trường) tại các cuộc trưng bày, "
                             "hoạt động di sản của bảo tàng trong các ngày của kỳ.",
    "MUS.LEARNING_VISITORS_GROWTH": "Mức tăng (%) của lượt khách tham quan học tập so với cùng kỳ năm trước; "
                                    "không có giá trị (và không đánh giá theo chỉ tiêu) khi năm trước không có.",
    "CUL.FESTIVALS": "Số liên hoan, hội diễn, ngày hội bắt đầu trong kỳ, chia theo cấp của đơn vị tổ chức.",
    "CUL.FESTIVAL_COMPLIANCE": "Mỗi đơn vị 100 nếu đã tổ chức liên hoan trong chu kỳ của cấp mình (2 năm với cấp "
                               "tỉnh, huyện; hằng năm với cấp xã), ngược lại 0; số của một cấp là tỷ lệ đơn vị "
                               "thực hiện đúng chu kỳ.",
    "CUL.CLUBS": "Số câu lạc bộ đang hoạt động vào ngày cuối kỳ; số thành viên chia theo nơi sinh hoạt (thôn bản, "
                 "trường học, khác).",
    "CUL.ACTIVITIES": "Số hoạt động tổ chức tại nhà văn hóa, trung tâm văn hóa trong kỳ, chia theo loại (thông "
                      "tin, văn nghệ, thể thao, vui chơi).",
    "CUL.LLL_SERVICE_SHARE": "Một trung tâm văn hóa được tính khi trong kỳ có ít nhất một hoạt động thông tin, "
                             "một lớp học hoặc duy trì một câu lạc bộ đang hoạt động. Mỗi trung tâm 100 hoặc 0; số "
                             "của nhóm là tỷ lệ trung tâm được tính.",
    "TRN.COURSES": "Số lớp tập huấn, bồi dưỡng nghiệp vụ bắt đầu trong kỳ, tính cho đơn vị tổ chức.",
    "TRN.TRAINEES": "Số lượt học viên các lớp tập huấn, bồi dưỡng; học viên người dân tộc thiểu số được tính riêng.",
    # The Department's follow-up (ilms/stats/indicators/department.py)
    "DEP.INSPECTIONS": "Số cuộc thanh tra, kiểm tra, giám sát được tiến hành trong kỳ, tính cho đơn vị được đến "
                       "thanh tra, kiểm tra; kèm số kiến nghị đã đưa ra, số kiến nghị đã thực hiện đúng hạn, "
                       "thực hiện muộn và còn chưa thực hiện tính đến cuối kỳ.",
    "DEP.MEDIA_ITEMS": "Số tin, bài tuyên truyền về học tập suốt đời được đăng, phát trong kỳ (báo in, phát thanh, "
                       "truyền hình, trang thông tin điện tử, mạng xã hội, đợt treo băng rôn, khẩu hiệu), tính cho "
                       "đơn vị thực hiện hoặc đề nghị đăng; chia theo loại phương tiện.",
    "DEP.FUNDING": "Số tiền (đồng) nhận được trong kỳ cho các hoạt động của kế hoạch, tính cho đơn vị nhận; chia "
                   "theo nguồn: ngân sách nhà nước, xã hội hóa (tổ chức, cá nhân), nguồn hợp pháp khác; kèm tỷ lệ "
                   "(%) xã hội hóa. Sách được tặng đã ghi ở bổ sung vốn tài liệu chỉ được nêu bên cạnh, không cộng "
                   "vào số tiền.",
    "MUS.SCHOOL_PROGRAMMES": "Số buổi học tập, giáo dục di sản, tiết học thư viện tổ chức với trường học trong kỳ "
                             "theo chương trình đã thống nhất với ngành Giáo dục, tính cho đơn vị chủ trì chương "
                             "trình; kèm số trường và số học sinh tham gia.",
    "MUS.PERMANENT_DISPLAYS": "Số hệ thống trưng bày cố định và trưng bày ngoài trời của bảo tàng đang mở cửa vào "
                              "ngày cuối kỳ; kèm số phần trưng bày theo kế hoạch, số phần đã hoàn thành và tỷ lệ "
                              "(%) hoàn thành.",
    "DEP.EXCHANGES": "Số đoàn học tập, trao đổi kinh nghiệm trong và ngoài tỉnh do đơn vị cử đi hoặc đón tiếp "
                     "trong kỳ (một đoàn giữa hai đơn vị trong tỉnh chỉ ghi một lần).",
}

_LEADING_CODE = re.compile(r"^\s*[A-Z]{3}\.[A-Z_]+:\s*")
_CODE_SPAN = re.compile(r"``([^`]*)``")


def plain(text):
    """A docstring as a sentence for readers: no leading code, no ``markup``, one line."""
    text = _CODE_SPAN.sub(r"\1", text or "")
    text = _LEADING_CODE.sub("", text)
    return " ".join(text.split())


def definition(indicator, locale=None):
    """The indicator's definition in the page's language (Vietnamese unless English is asked)."""
    locale = str(locale or get_locale() or "vi")
    if locale.startswith("vi"):
        return DEFINITIONS_VI.get(indicator.code) or plain(indicator.definition)
    text = plain(indicator.definition)
    return text[:1].upper() + text[1:]
