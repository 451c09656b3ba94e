//! Every string the kiosk shows, in Simplified Chinese, Traditional Chinese
//! and English. One catalogue, switchable at run time.

use crate::config::Language;

/// Declares the strings of the interface and the list of them all, so the
/// list cannot fall behind the enum.
macro_rules! texts {
    ($($name:ident),* $(,)?) => {
        /// A string of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $($name),*
        }

        impl Text {
            pub const ALL: &[Text] = &[$(Text::$name),*];
        }
    };
}

texts!(
    ShowCard,
    HoldInFrame,
    CheckedIn,
    AlreadyCheckedIn,
    FirstCheckedInAt,
    Refused,
    PointsThisYear,
    NoActivityNow,
    CameraOk,
    CameraOff,
    Online,
    Offline,
    NotConfigured,
    Waiting,
    LastSync,
    Never,
    ClockWarning,
    HeldOrRejected,
    Staff,
    EnterPin,
    WrongPin,
    LockedOut,
    NoPinConfigured,
    Unlock,
    Cancel,
    Back,
    Attendance,
    ManualCheckIn,
    SyncTab,
    Settings,
    Search,
    CheckIn,
    Void,
    VoidReason,
    Voided,
    SyncNow,
    ExportCsv,
    ExportTo,
    Exported,
    CurrentActivity,
    Automatic,
    Language,
    Camera,
    Pending,
    ServerSaid,
    NotYetSynced,
    Time,
    Name,
    Member,
    Status,
    SeeStaff,
    Storage,
    Delete,
    ConfirmVoid,
    Simulated,
    NoCamera,
    RefreshCameras,
    TodayAll,
    AutoCamera,
);

/// One string in the kiosk's language.
pub fn t(language: Language, text: Text) -> &'static str {
    let [simplified, traditional, english] = entry(text);
    match language {
        Language::ZhHans => simplified,
        Language::ZhHant => traditional,
        Language::En => english,
    }
}

// The catalogue is a table: one line a string, however many strings.
#[allow(clippy::enum_glob_use, clippy::too_many_lines)]
fn entry(text: Text) -> [&'static str; 3] {
    use Text::*;
    match text {
        ShowCard => [
            "请出示党员服务卡",
            "請出示黨員服務卡",
            "Please show your member card",
        ],
        HoldInFrame => [
            "将二维码对准框内",
            "將二維碼對準框內",
            "Hold the QR code inside the frame",
        ],
        CheckedIn => ["签到成功", "簽到成功", "Checked in"],
        AlreadyCheckedIn => ["您已签到", "您已簽到", "Already checked in"],
        FirstCheckedInAt => ["首次签到时间", "首次簽到時間", "First checked in at"],
        Refused => ["无法签到", "無法簽到", "Cannot check in"],
        PointsThisYear => ["本年度积分", "本年度積分", "Points this year"],
        NoActivityNow => [
            "当前没有进行中的活动",
            "當前沒有進行中的活動",
            "No activity open now",
        ],
        CameraOk => ["摄像头正常", "攝像頭正常", "Camera on"],
        CameraOff => ["摄像头不可用", "攝像頭不可用", "No camera"],
        Online => ["已联网", "已聯網", "Online"],
        Offline => ["离线", "離線", "Offline"],
        NotConfigured => ["未配置服务器", "未配置服務器", "No server set"],
        Waiting => ["待上传", "待上傳", "waiting"],
        LastSync => ["上次同步", "上次同步", "last sync"],
        Never => ["从未", "從未", "never"],
        ClockWarning => ["本机时钟偏差", "本機時鐘偏差", "Clock is off by"],
        HeldOrRejected => ["条被退回", "條被退回", "refused by the office"],
        Staff => ["工作人员", "工作人員", "Staff"],
        EnterPin => [
            "请输入工作人员密码",
            "請輸入工作人員密碼",
            "Enter the staff PIN",
        ],
        WrongPin => ["密码错误", "密碼錯誤", "Wrong PIN"],
        LockedOut => [
            "输错次数过多，请稍后再试",
            "輸錯次數過多，請稍後再試",
            "Too many wrong PINs; try again later",
        ],
        NoPinConfigured => [
            "未设置工作人员密码",
            "未設置工作人員密碼",
            "No staff PIN is configured",
        ],
        Unlock => ["进入", "進入", "Unlock"],
        Cancel => ["取消", "取消", "Cancel"],
        Back => ["返回签到", "返回簽到", "Back to check-in"],
        Attendance => ["签到记录", "簽到記錄", "Attendance"],
        ManualCheckIn => ["手工签到", "手工簽到", "Manual check-in"],
        SyncTab => ["同步", "同步", "Sync"],
        Settings => ["设置", "設置", "Settings"],
        Search => [
            "搜索姓名、拼音或编号",
            "搜尋姓名、拼音或編號",
            "Search name, pinyin or id",
        ],
        CheckIn => ["签到", "簽到", "Check in"],
        Void => ["作废", "作廢", "Void"],
        VoidReason => ["作废原因", "作廢原因", "Reason for voiding"],
        Voided => ["已作废", "已作廢", "voided"],
        SyncNow => ["立即同步", "立即同步", "Sync now"],
        ExportCsv => ["导出CSV", "導出CSV", "Export CSV"],
        ExportTo => ["导出到", "導出到", "Export to"],
        Exported => ["已导出", "已導出", "Exported"],
        CurrentActivity => ["当前活动", "當前活動", "Current activity"],
        Automatic => ["自动（按时间）", "自動（按時間）", "Automatic (by time)"],
        Language => ["语言", "語言", "Language"],
        Camera => ["摄像头", "攝像頭", "Camera"],
        Pending => ["待上传", "待上傳", "pending"],
        ServerSaid => ["中心回复", "中心回覆", "office said"],
        NotYetSynced => ["未同步", "未同步", "not synced"],
        Time => ["时间", "時間", "Time"],
        Name => ["姓名", "姓名", "Name"],
        Member => ["编号", "編號", "Id"],
        Status => ["状态", "狀態", "Status"],
        SeeStaff => ["请联系工作人员", "請聯繫工作人員", "Please see the staff"],
        Storage => [
            "保存失败，未签到",
            "保存失敗，未簽到",
            "Could not save: not checked in",
        ],
        Delete => ["删除", "刪除", "Delete"],
        ConfirmVoid => ["确认作废", "確認作廢", "Confirm void"],
        Simulated => [
            "模拟摄像头（演示）",
            "模擬攝像頭（演示）",
            "Simulated camera (demo)",
        ],
        NoCamera => [
            "不用摄像头（仅扫码枪）",
            "不用攝像頭（僅掃碼槍）",
            "No camera (scanner only)",
        ],
        RefreshCameras => ["查找摄像头", "查找攝像頭", "Find cameras"],
        TodayAll => ["今天全部", "今天全部", "All of today"],
        AutoCamera => [
            "自动（第一个可用的）",
            "自動（第一個可用的）",
            "Automatic (first one found)",
        ],
    }
}

/// A refusal or server reason, in plain words.
// A table: one arm a reason, however many there are.
#[allow(clippy::too_many_lines)]
pub fn reason(language: Language, code: &str) -> &'static str {
    let [simplified, traditional, english] = match code {
        "not_baodao_card" => [
            "这不是党员服务卡",
            "這不是黨員服務卡",
            "This is not a Baodao member card",
        ],
        "damaged_card" => [
            "卡片无法完整读取，请重试",
            "卡片無法完整讀取，請重試",
            "The card did not read whole; try again",
        ],
        "forged_card" => [
            "卡片验证失败（疑似伪造）",
            "卡片驗證失敗（疑似偽造）",
            "This card is not genuine",
        ],
        "unknown_key" => [
            "卡片暂无法识别，请联系工作人员",
            "卡片暫無法識別，請聯繫工作人員",
            "This card is not recognised yet",
        ],
        "expired_card" => ["卡片已过期", "卡片已過期", "This card has expired"],
        "revoked_card" => [
            "卡片已挂失或停用",
            "卡片已掛失或停用",
            "This card was cancelled",
        ],
        "replaced_card" => [
            "卡片已换新，请使用新卡",
            "卡片已換新，請使用新卡",
            "This card was replaced; use your new card",
        ],
        "member_inactive" => [
            "党员身份已停用，请联系工作人员",
            "黨員身分已停用，請聯繫工作人員",
            "Membership inactive, see staff",
        ],
        "unknown_member" => [
            "未找到该党员（名单尚未同步）",
            "未找到該黨員（名單尚未同步）",
            "Member not found (roster not synced yet)",
        ],
        "no_activity" => [
            "当前没有进行中的活动",
            "當前沒有進行中的活動",
            "No activity is open now",
        ],
        "storage_full" => [
            "存储空间已满，未签到",
            "存儲空間已滿，未簽到",
            "Storage full: not checked in",
        ],
        "storage_error" => [
            "保存失败，未签到",
            "保存失敗，未簽到",
            "Could not save: not checked in",
        ],
        "unknown_or_voided_record" => [
            "记录不存在或已作废",
            "記錄不存在或已作廢",
            "No such check-in, or already voided",
        ],
        "unknown_activity" => ["活动不存在", "活動不存在", "Unknown activity"],
        "invalid_reason" => [
            "作废原因须为1至500字",
            "作廢原因須為1至500字",
            "A reason of 1 to 500 characters is needed",
        ],
        "malformed_record" => ["记录格式错误", "記錄格式錯誤", "Malformed record"],
        "invalid_time" => ["时间无效", "時間無效", "Invalid time"],
        "record_id_conflict" => [
            "记录编号冲突",
            "記錄編號衝突",
            "Record id already used elsewhere",
        ],
        "scanned_in_future" => [
            "签到时间晚于服务器时间",
            "簽到時間晚於伺服器時間",
            "Scan time is in the server's future",
        ],
        "clock_untrusted" => [
            "本机时钟偏差过大",
            "本機時鐘偏差過大",
            "This kiosk's clock is too far off",
        ],
        "manual_after_activity" => [
            "活动结束后补登，待审核",
            "活動結束後補登，待審核",
            "Entered by hand after the activity",
        ],
        "manual_for_other_community" => [
            "非本社区党员的手工签到",
            "非本社區黨員的手工簽到",
            "Manual check-in of another community's member",
        ],
        "manual_limit" => [
            "手工签到超过上限",
            "手工簽到超過上限",
            "More manual check-ins than allowed",
        ],
        "attended_elsewhere" => [
            "同一时段已在其他社区签到",
            "同一時段已在其他社區簽到",
            "Checked in at another community at the same time",
        ],
        "other_community" => [
            "非本社区活动",
            "非本社區活動",
            "Activity of another community",
        ],
        "card_missing" => ["缺少卡片数据", "缺少卡片數據", "Card data missing"],
        "card_malformed" => ["卡片损坏", "卡片損壞", "Damaged card"],
        "card_unknown_key" => ["卡片密钥未知", "卡片密鑰未知", "Unknown card key"],
        "bad_card_signature" => ["卡片验证失败", "卡片驗證失敗", "Card signature invalid"],
        "card_of_another_member" => ["卡片与人员不符", "卡片與人員不符", "Card of another member"],
        "card_expired" => ["卡片已过期", "卡片已過期", "Card expired"],
        "card_revoked" => ["卡片已停用", "卡片已停用", "Card cancelled"],
        "card_replaced" => ["卡片已换新", "卡片已換新", "Card replaced"],
        "outside_activity_window" => [
            "签到时间不在活动时段内",
            "簽到時間不在活動時段內",
            "Outside the activity's time",
        ],
        "accepted" => ["中心已确认", "中心已確認", "confirmed by the office"],
        "repeat" => [
            "中心已确认（重复）",
            "中心已確認（重複）",
            "confirmed (repeat)",
        ],
        "held" => ["待中心审核", "待中心審核", "held for review"],
        "rejected" => ["被中心退回", "被中心退回", "refused by the office"],
        _ => ["无法签到", "無法簽到", "Cannot check in"],
    };
    match language {
        Language::ZhHans => simplified,
        Language::ZhHant => traditional,
        Language::En => english,
    }
}

/// An activity kind's name.
pub fn kind(language: Language, kind: baodao_shared::ActivityKind) -> &'static str {
    let [simplified, traditional, english] = kind.names();
    match language {
        Language::ZhHans => simplified,
        Language::ZhHant => traditional,
        Language::En => english,
    }
}

/// Every string of the catalogue, for the font test.
pub fn all_strings() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Text::ALL.iter().flat_map(|t| entry(*t)).collect();
    for code in [
        "not_baodao_card",
        "damaged_card",
        "forged_card",
        "unknown_key",
        "expired_card",
        "revoked_card",
        "replaced_card",
        "unknown_member",
        "member_inactive",
        "no_activity",
        "storage_full",
        "outside_activity_window",
        "accepted",
        "repeat",
        "held",
        "rejected",
    ] {
        for language in [
            crate::config::Language::ZhHans,
            crate::config::Language::ZhHant,
            crate::config::Language::En,
        ] {
            out.push(reason(language, code));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_kiosk_shows_has_its_own_words() {
        let fallback = reason(Language::En, "no such code");
        for code in [
            "not_baodao_card",
            "damaged_card",
            "forged_card",
            "unknown_key",
            "expired_card",
            "revoked_card",
            "replaced_card",
            "unknown_member",
            "member_inactive",
            "no_activity",
            "storage_full",
            "storage_error",
            "accepted",
            "repeat",
            "held",
            "rejected",
            "card_revoked",
            "other_community",
            "outside_activity_window",
        ] {
            assert_ne!(reason(Language::En, code), fallback, "{code}");
        }
        for text in all_strings() {
            assert!(!text.is_empty());
        }
    }
}
