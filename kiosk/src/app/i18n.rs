//! Every string the kiosk shows, in Simplified Chinese, Traditional Chinese
//! and English. One catalogue, switchable at run time.

use baodao_shared::protocol::{self, RecordStatus};

use crate::config::Language;
use crate::outcome::{KioskReason, Reason};

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
    ProblemCamera,
    FixCamera,
    ProblemSync,
    FixSync,
    ProblemDisk,
    FixDisk,
    ProblemClock,
    FixClock,
    Staff,
    EnterPin,
    WrongPin,
    LockedOut,
    NoPinConfigured,
    Unlock,
    Checking,
    SignedIn,
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
    VoidedTitle,
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
    Clear,
    ConfirmVoid,
    Simulated,
    NoCamera,
    RefreshCameras,
    FramesScanned,
    MsPerFrame,
    ReaderFaults,
    TodayAll,
    AutoCamera,
    EnrolTitle,
    EnrolHow,
    EnrolCodeLabel,
    EnrolButton,
    Enrolling,
    EnrolUnknown,
    EnrolUsed,
    EnrolExpired,
    EnrolRevoked,
    EnrolInvalid,
    EnrolTooMany,
    EnrolNoNetwork,
    EnrolFailed,
    EnrolledAs,
    EnrolAgain,
);

/// One string in the kiosk's language.
pub fn t(language: Language, text: Text) -> &'static str {
    pick(language, entry(text))
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
        ProblemCamera => [
            "摄像头无法使用：现在不能扫码签到",
            "攝像頭無法使用：現在不能掃碼簽到",
            "The camera is not working: cards cannot be scanned",
        ],
        FixCamera => [
            "请工作人员重新插拔摄像头，或在“设置”中选择摄像头；其间可手工签到",
            "請工作人員重新插拔攝像頭，或在「設置」中選擇攝像頭；其間可手工簽到",
            "Staff: unplug the camera and plug it in again, or choose one in Settings; check members in by hand meanwhile",
        ],
        ProblemSync => [
            "已有 {n} 小时未能把签到上传到办公室",
            "已有 {n} 小時未能把簽到上傳到辦公室",
            "Check-ins have not reached the office for {n} h",
        ],
        FixSync => [
            "记录已安全保存在本机。请检查网线或无线网络；仍不行请联系办公室",
            "記錄已安全保存在本機。請檢查網線或無線網絡；仍不行請聯繫辦公室",
            "They are kept safely here. Check the network cable or Wi-Fi; if it persists, call the office",
        ],
        ProblemDisk => [
            "存储空间将满：仅剩 {n} MB",
            "存儲空間將滿：僅剩 {n} MB",
            "The disk is nearly full: {n} MB left",
        ],
        FixDisk => [
            "请联系办公室清理本机；空间用尽时将无法保存签到",
            "請聯繫辦公室清理本機；空間用盡時將無法保存簽到",
            "Call the office to free space: when it runs out, check-ins cannot be saved",
        ],
        ProblemClock => [
            "本机时钟与办公室相差 {n} 分钟",
            "本機時鐘與辦公室相差 {n} 分鐘",
            "This kiosk's clock is {n} min off the office's",
        ],
        FixClock => [
            "签到时间已按办公室时钟校正；请联系办公室开启网络校时",
            "簽到時間已按辦公室時鐘校正；請聯繫辦公室開啟網絡校時",
            "Check-in times are corrected to the office's clock; ask the office to turn on network time",
        ],
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
        Checking => ["正在验证…", "正在驗證…", "Checking…"],
        SignedIn => ["当前工作人员", "當前工作人員", "Signed in"],
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
        VoidedTitle => ["签到已作废", "簽到已作廢", "Check-in voided"],
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
        Clear => ["清空", "清空", "Clear"],
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
        FramesScanned => ["已处理画面", "已處理畫面", "Frames scanned"],
        MsPerFrame => ["毫秒/帧", "毫秒/幀", "ms a frame"],
        ReaderFaults => ["解码器故障", "解碼器故障", "reader faults"],
        TodayAll => ["今天全部", "今天全部", "All of today"],
        AutoCamera => [
            "自动（第一个可用的）",
            "自動（第一個可用的）",
            "Automatic (first one found)",
        ],
        EnrolTitle => ["登记本签到机", "登記本簽到機", "Enrol this kiosk"],
        EnrolHow => [
            "请把办公室给的注册二维码对准摄像头，或在右边输入 8 位注册码",
            "請把辦公室給的註冊二維碼對準攝像頭，或在右邊輸入 8 位註冊碼",
            "Show the office's enrolment QR code to the camera, or type its 8-character code",
        ],
        EnrolCodeLabel => ["注册码", "註冊碼", "Enrolment code"],
        EnrolButton => ["登记", "登記", "Enrol"],
        Enrolling => [
            "正在向办公室登记…",
            "正在向辦公室登記…",
            "Enrolling with the office…",
        ],
        EnrolUnknown => [
            "没有这个注册码：请核对办公室给的注册码",
            "沒有這個註冊碼：請核對辦公室給的註冊碼",
            "No such code: check it against the office's screen",
        ],
        EnrolUsed => [
            "这个注册码已经用过：每个只能用一次，请向办公室索取新的",
            "這個註冊碼已經用過：每個只能用一次，請向辦公室索取新的",
            "This code was used already: each works once; ask the office for a new one",
        ],
        EnrolExpired => [
            "这个注册码已过期（有效 24 小时）：请向办公室索取新的",
            "這個註冊碼已過期（有效 24 小時）：請向辦公室索取新的",
            "This code expired (codes last 24 hours): ask the office for a new one",
        ],
        EnrolRevoked => [
            "办公室已停用这台签到机：请联系办公室",
            "辦公室已停用這台簽到機：請聯繫辦公室",
            "The office revoked this kiosk: call the office",
        ],
        EnrolInvalid => [
            "注册码是 8 位字母和数字（不含 0、1、I、L、O、U、V）",
            "註冊碼是 8 位字母和數字（不含 0、1、I、L、O、U、V）",
            "A code is 8 letters and digits (no 0, 1, I, L, O, U or V)",
        ],
        EnrolTooMany => [
            "尝试次数过多：请 {n} 秒后再试",
            "嘗試次數過多：請 {n} 秒後再試",
            "Too many tries: try again in {n} s",
        ],
        EnrolNoNetwork => [
            "无法连接办公室的服务器：请检查网络后再试",
            "無法連接辦公室的服務器：請檢查網絡後再試",
            "Cannot reach the office's server: check the network and try again",
        ],
        EnrolFailed => ["登记失败", "登記失敗", "Enrolment failed"],
        EnrolledAs => ["登记成功：本机为", "登記成功：本機為", "Enrolled as"],
        EnrolAgain => [
            "用新的注册码重新登记本机",
            "用新的註冊碼重新登記本機",
            "Enrol this kiosk again with a new code",
        ],
    }
}

/// A reason, the kiosk's or the server's, in words a member (or staff) can
/// act on. Matched exhaustively: a new reason does not compile until it
/// has its words here.
pub fn reason(language: Language, reason: Reason) -> &'static str {
    pick(
        language,
        match reason {
            Reason::Shared(shared) => shared_reason(shared),
            Reason::Kiosk(kiosk) => kiosk_reason(kiosk),
        },
    )
}

/// What the office said of a synced check-in.
pub fn status(language: Language, status: RecordStatus) -> &'static str {
    pick(
        language,
        match status {
            RecordStatus::Accepted => ["中心已确认", "中心已確認", "confirmed by the office"],
            RecordStatus::AlreadyReceived => ["中心已收到", "中心已收到", "already received"],
            RecordStatus::Repeat => [
                "中心已确认（重复）",
                "中心已確認（重複）",
                "confirmed (repeat)",
            ],
            RecordStatus::Held => ["待中心审核", "待中心審核", "held for review"],
            RecordStatus::Rejected => ["被中心退回", "被中心退回", "refused by the office"],
            RecordStatus::Unknown => ["中心回复未知", "中心回覆未知", "unknown answer"],
        },
    )
}

fn pick(language: Language, [simplified, traditional, english]: [&'static str; 3]) -> &'static str {
    match language {
        Language::ZhHans => simplified,
        Language::ZhHant => traditional,
        Language::En => english,
    }
}

fn kiosk_reason(reason: KioskReason) -> [&'static str; 3] {
    match reason {
        KioskReason::NotRegisteredHere => [
            "未在本社区登记，请找工作人员",
            "未在本社區登記，請找工作人員",
            "Not registered at this community: please see staff",
        ],
        KioskReason::NoActivity => [
            "当前没有进行中的活动",
            "當前沒有進行中的活動",
            "No activity is open now",
        ],
        KioskReason::StorageFull => [
            "存储空间已满，未签到",
            "存儲空間已滿，未簽到",
            "Storage full: not checked in",
        ],
        KioskReason::StorageError => [
            "保存失败，未签到",
            "保存失敗，未簽到",
            "Could not save: not checked in",
        ],
        KioskReason::UnknownOrVoidedRecord => [
            "记录不存在或已作废",
            "記錄不存在或已作廢",
            "No such check-in, or already voided",
        ],
    }
}

// A table: one arm a reason, however many there are.
#[allow(clippy::too_many_lines)]
fn shared_reason(reason: protocol::Reason) -> [&'static str; 3] {
    use protocol::Reason as R;
    match reason {
        R::NotBaodaoCard => [
            "这不是党员服务卡",
            "這不是黨員服務卡",
            "This is not a Baodao member card",
        ],
        R::CardMalformed => [
            "卡片无法完整读取，请重试",
            "卡片無法完整讀取，請重試",
            "The card did not read whole; try again",
        ],
        R::BadCardSignature => [
            "卡片验证失败（疑似伪造）",
            "卡片驗證失敗（疑似偽造）",
            "This card is not genuine",
        ],
        R::CardUnknownKey => [
            "卡片暂无法识别，请联系工作人员",
            "卡片暫無法識別，請聯繫工作人員",
            "This card is not recognised yet",
        ],
        R::CardExpired => ["卡片已过期", "卡片已過期", "This card has expired"],
        R::CardRevoked => [
            "卡片已挂失或停用",
            "卡片已掛失或停用",
            "This card was cancelled",
        ],
        R::CardReplaced => [
            "卡片已换新，请使用新卡",
            "卡片已換新，請使用新卡",
            "This card was replaced; use your new card",
        ],
        R::MemberInactive => [
            "党员身份已停用，请联系工作人员",
            "黨員身分已停用，請聯繫工作人員",
            "Membership inactive, see staff",
        ],
        R::UnknownMember => [
            "中心没有该党员的记录",
            "中心沒有該黨員的記錄",
            "The office does not know this member",
        ],
        R::UnknownActivity => ["活动不存在", "活動不存在", "Unknown activity"],
        R::InvalidReason => [
            "作废原因须为1至500字",
            "作廢原因須為1至500字",
            "A reason of 1 to 500 characters is needed",
        ],
        R::MalformedRecord => ["记录格式错误", "記錄格式錯誤", "Malformed record"],
        R::InvalidTime => ["时间无效", "時間無效", "Invalid time"],
        R::RecordIdConflict => [
            "记录编号冲突",
            "記錄編號衝突",
            "Record id already used elsewhere",
        ],
        R::ScannedInFuture => [
            "签到时间晚于服务器时间",
            "簽到時間晚於伺服器時間",
            "Scan time is in the server's future",
        ],
        R::ClockUntrusted => [
            "本机时钟偏差过大",
            "本機時鐘偏差過大",
            "This kiosk's clock is too far off",
        ],
        R::ManualAfterActivity => [
            "活动结束后补登，待审核",
            "活動結束後補登，待審核",
            "Entered by hand after the activity",
        ],
        R::ManualForOtherCommunity => [
            "非本社区党员的手工签到",
            "非本社區黨員的手工簽到",
            "Manual check-in of another community's member",
        ],
        R::ManualLimit => [
            "手工签到超过上限",
            "手工簽到超過上限",
            "More manual check-ins than allowed",
        ],
        R::AttendedElsewhere => [
            "同一时段已在其他社区签到",
            "同一時段已在其他社區簽到",
            "Checked in at another community at the same time",
        ],
        R::OtherCommunity => [
            "非本社区活动",
            "非本社區活動",
            "Activity of another community",
        ],
        R::CardMissing => ["缺少卡片数据", "缺少卡片數據", "Card data missing"],
        R::CardOfAnotherMember => ["卡片与人员不符", "卡片與人員不符", "Card of another member"],
        R::OutsideActivityWindow => [
            "签到时间不在活动时段内",
            "簽到時間不在活動時段內",
            "Outside the activity's time",
        ],
        R::ActivityCancelled => ["活动已取消", "活動已取消", "The activity was cancelled"],
        R::Unknown => ["无法签到", "無法簽到", "Cannot check in"],
    }
}

/// An activity kind's name.
pub fn kind(language: Language, kind: baodao_shared::ActivityKind) -> &'static str {
    pick(language, kind.names())
}

/// Every string of the catalogue in every language, for the font test.
pub fn all_strings() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Text::ALL.iter().flat_map(|t| entry(*t)).collect();
    for language in LANGUAGES {
        out.extend(Reason::all().map(|r| reason(language, r)));
        out.extend(RecordStatus::ALL.iter().map(|s| status(language, *s)));
    }
    out
}

pub const LANGUAGES: [Language; 3] = [Language::ZhHans, Language::ZhHant, Language::En];

/// The degraded-mode banner's two lines for `problem`: what is wrong, and
/// what to do.
pub fn problem(
    language: Language,
    problem: crate::domain::health::Problem,
) -> (String, &'static str) {
    use crate::domain::health::Problem;
    match problem {
        Problem::Camera => (
            t(language, Text::ProblemCamera).to_owned(),
            t(language, Text::FixCamera),
        ),
        Problem::Sync { silent_hours } => (
            t(language, Text::ProblemSync).replace("{n}", &silent_hours.to_string()),
            t(language, Text::FixSync),
        ),
        Problem::Disk { free_mb } => (
            t(language, Text::ProblemDisk).replace("{n}", &free_mb.to_string()),
            t(language, Text::FixDisk),
        ),
        Problem::Clock { offset_minutes } => (
            t(language, Text::ProblemClock).replace("{n}", &format!("{offset_minutes:+}")),
            t(language, Text::FixClock),
        ),
    }
}

/// Why an enrolment failed, in words for whoever stands at the kiosk.
pub fn enrol_failure(language: Language, error: &crate::Error) -> String {
    use crate::Error;
    match error {
        Error::Enrol { code, .. } => t(
            language,
            match code.as_str() {
                "enrol_code_unknown" => Text::EnrolUnknown,
                "enrol_code_used" => Text::EnrolUsed,
                "enrol_code_expired" => Text::EnrolExpired,
                "kiosk_revoked" => Text::EnrolRevoked,
                "invalid_code" => Text::EnrolInvalid,
                _ => Text::EnrolFailed,
            },
        )
        .to_owned(),
        Error::Domain(_) => t(language, Text::EnrolInvalid).to_owned(),
        Error::RateLimited(wait) => {
            t(language, Text::EnrolTooMany).replace("{n}", &wait.as_secs().max(1).to_string())
        }
        Error::Network(_) => t(language, Text::EnrolNoNetwork).to_owned(),
        other => format!("{}: {other}", t(language, Text::EnrolFailed)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_reason_has_its_own_words_in_every_language() {
        for language in LANGUAGES {
            let words: HashSet<&str> = Reason::all().map(|r| reason(language, r)).collect();
            // Two reasons that read the same would leave staff guessing.
            assert_eq!(words.len(), Reason::all().count(), "{language:?}");
            assert!(words.iter().all(|w| !w.is_empty()));
        }
        let statuses: HashSet<&str> = RecordStatus::ALL
            .iter()
            .map(|s| status(Language::En, *s))
            .collect();
        assert_eq!(statuses.len(), RecordStatus::ALL.len());
    }
}
