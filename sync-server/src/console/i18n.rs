//! The console's words in Simplified Chinese, Traditional Chinese and
//! English. Every text is one variant with its three translations side by
//! side, so none can be missing in one language.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Hans,
    Hant,
    En,
}

impl Lang {
    pub const ALL: [Self; 3] = [Self::Hans, Self::Hant, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::Hans => "zh-Hans",
            Self::Hant => "zh-Hant",
            Self::En => "en",
        }
    }

    /// The name a user picks it by, in itself.
    pub fn own_name(self) -> &'static str {
        match self {
            Self::Hans => "简体",
            Self::Hant => "繁體",
            Self::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The best match for an `Accept-Language` header (Simplified Chinese
    /// when nothing matches: the office's language).
    pub fn negotiate(accept: &str) -> Self {
        for tag in accept.split(',') {
            let tag = tag
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh-hant") || ["zh-tw", "zh-hk", "zh-mo"].contains(&tag.as_str()) {
                return Self::Hant;
            }
            if tag.starts_with("zh") {
                return Self::Hans;
            }
            if tag.starts_with("en") {
                return Self::En;
            }
        }
        Self::Hans
    }

    fn index(self) -> usize {
        match self {
            Self::Hans => 0,
            Self::Hant => 1,
            Self::En => 2,
        }
    }

    /// An activity kind's name, as the kiosk shows it.
    pub fn kind(self, kind: baodao_shared::ActivityKind) -> &'static str {
        kind.names()[self.index()]
    }

    pub fn t(self, text: T) -> &'static str {
        text.all()[self.index()]
    }

    /// A time as the office reads it: in the policy's zone, to the minute.
    pub fn time(self, at: DateTime<Utc>, zone: Tz) -> String {
        at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn review_done(self, done: usize, failed: usize) -> String {
        match self {
            Self::Hans => format!("已处理 {done} 条，{failed} 条未能处理"),
            Self::Hant => format!("已處理 {done} 條，{failed} 條未能處理"),
            Self::En => format!("{done} decided, {failed} could not be"),
        }
    }

    pub fn showing(self, shown: usize, total: usize) -> String {
        match self {
            Self::Hans => format!("显示 {shown} / {total} 名党员；全部请导出"),
            Self::Hant => format!("顯示 {shown} / {total} 名黨員；全部請匯出"),
            Self::En => format!("Showing {shown} of {total} members; export for all"),
        }
    }

    pub fn locked_until(self, until: &str) -> String {
        match self {
            Self::Hans => format!("密码错误次数过多，账户已锁定至 {until}"),
            Self::Hant => format!("密碼錯誤次數過多，帳戶已鎖定至 {until}"),
            Self::En => format!("Too many wrong passwords: the account is locked until {until}"),
        }
    }

    pub fn imported(self, added: usize, updated: usize, unchanged: usize) -> String {
        match self {
            Self::Hans => format!("已导入：新增 {added}，更新 {updated}，未变 {unchanged}"),
            Self::Hant => format!("已匯入：新增 {added}，更新 {updated}，未變 {unchanged}"),
            Self::En => {
                format!("Imported: {added} added, {updated} updated, {unchanged} unchanged")
            }
        }
    }

    /// An import row's problem, in this language.
    pub fn problem(self, problem: &crate::import::problem::Problem) -> String {
        use crate::import::problem::Problem as P;
        let [simplified, traditional] = match problem {
            P::Empty => ["此项为空".to_owned(), "此項為空".to_owned()],
            P::TooLong { max } => [format!("超过 {max} 个字"), format!("超過 {max} 個字")],
            P::ControlCharacters => ["含有换行等控制字符".into(), "含有換行等控制字元".into()],
            P::BadId { text, .. } => [
                format!("“{text}”不是有效的编号（字母、数字、-、_、.，最多 32 个）"),
                format!("「{text}」不是有效的編號（字母、數字、-、_、.，最多 32 個）"),
            ],
            P::UnknownCommunity { text } => [
                format!("“{text}”既不是社区编号，也不是已登记社区的名称"),
                format!("「{text}」既不是社區編號，也不是已登記社區的名稱"),
            ],
            P::UnknownKind { text } => [
                format!("没有“{text}”这种活动类型；可写环境卫生整治、政策宣讲等"),
                format!("沒有「{text}」這種活動類型；可寫環境衛生整治、政策宣講等"),
            ],
            P::NotATime { text, .. } => [
                format!("“{text}”不是时间；请写成 2026-12-01 09:00"),
                format!("「{text}」不是時間；請寫成 2026-12-01 09:00"),
            ],
            P::OutOfYears { text } => [
                format!("“{text}”不在 2000 至 2100 年之间"),
                format!("「{text}」不在 2000 至 2100 年之間"),
            ],
            P::NoSuchLocalTime { text, .. } => [
                format!("“{text}”因调整时钟而不存在或有两个"),
                format!("「{text}」因調整時鐘而不存在或有兩個"),
            ],
            P::EndsBeforeStart => ["结束时间早于开始时间".into(), "結束時間早於開始時間".into()],
            P::Twice { key } => [format!("{key} 出现了两次"), format!("{key} 出現了兩次")],
            P::NameTaken { name, by } => [
                format!("名称“{name}”已属于 {by}"),
                format!("名稱「{name}」已屬於 {by}"),
            ],
            P::EmptyFile { expected } => [
                format!("文件是空的；第一行应是列名：{expected}"),
                format!("檔案是空的；第一行應是欄名：{expected}"),
            ],
            P::NotText { encoding } => [
                format!("文件不是有效的 {encoding} 文本；请另存为 UTF-8 CSV 或 .xlsx"),
                format!("檔案不是有效的 {encoding} 文字；請另存為 UTF-8 CSV 或 .xlsx"),
            ],
            P::NotAWorkbook { .. } => [
                "无法读取这个 .xlsx 文件；请用 Excel 或 WPS 重新保存".to_owned(),
                "無法讀取這個 .xlsx 檔案；請用 Excel 或 WPS 重新儲存".to_owned(),
            ],
            P::CsvSyntax { .. } => [
                "CSV 格式有误（多半是引号不成对）".to_owned(),
                "CSV 格式有誤（多半是引號不成對）".to_owned(),
            ],
            P::MissingColumns { missing, .. } => [
                format!("缺少这些列：{}", missing.join("、")),
                format!("缺少這些欄：{}", missing.join("、")),
            ],
            P::DoubledColumn { first, second, .. } => [
                format!("“{first}”和“{second}”是同一列，只能留一个"),
                format!("「{first}」和「{second}」是同一欄，只能留一個"),
            ],
            P::Other(text) => [text.clone(), text.clone()],
        };
        match self {
            Self::Hans => simplified,
            Self::Hant => traditional,
            Self::En => problem.to_string(),
        }
    }

    pub fn would_import(self, added: usize, updated: usize, unchanged: usize) -> String {
        match self {
            Self::Hans => format!("确认后：新增 {added}，更新 {updated}，未变 {unchanged}"),
            Self::Hant => format!("確認後：新增 {added}，更新 {updated}，未變 {unchanged}"),
            Self::En => {
                format!("Once confirmed: {added} added, {updated} updated, {unchanged} unchanged")
            }
        }
    }

    pub fn nothing_imported(self, file: &str, bad: usize) -> String {
        match self {
            Self::Hans => format!("{file}：{bad} 行有误，未导入任何数据。请修改后重新上传。"),
            Self::Hant => format!("{file}：{bad} 行有誤，未匯入任何資料。請修改後重新上傳。"),
            Self::En => {
                format!("{file}: {bad} bad rows; nothing was imported. Fix them and upload again.")
            }
        }
    }

    pub fn ready_to_import(self, file: &str, rows: usize) -> String {
        match self {
            Self::Hans => format!("{file}：{rows} 行均无误。确认后才会写入。"),
            Self::Hant => format!("{file}：{rows} 行均無誤。確認後才會寫入。"),
            Self::En => {
                format!("{file}: all {rows} rows are valid. Nothing is written until you confirm.")
            }
        }
    }

    pub fn statement_title(self, year: i32) -> String {
        match self {
            Self::Hans => format!("{year} 年度党员报到积分证明"),
            Self::Hant => format!("{year} 年度黨員報到積分證明"),
            Self::En => format!("Points statement {year}"),
        }
    }

    pub fn statement_total(self, points: u32, cap: u32, issued: &str) -> String {
        match self {
            Self::Hans => format!("本年度积分：{points} / {cap}　　出具日期：{issued}"),
            Self::Hant => format!("本年度積分：{points} / {cap}　　出具日期：{issued}"),
            Self::En => format!("Points this year: {points} / {cap}    Issued on {issued}"),
        }
    }

    pub fn waiting(self, n: u64) -> String {
        match self {
            Self::Hans => format!("{n} 条记录待审核"),
            Self::Hant => format!("{n} 條記錄待審核"),
            Self::En => format!("{n} records wait for review"),
        }
    }
}

macro_rules! texts {
    ($($name:ident => [$hans:literal, $hant:literal, $en:literal],)*) => {
        /// A text of the console.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($name,)* }

        impl T {
            pub const ALL: &[T] = &[$(T::$name,)*];

            fn all(self) -> [&'static str; 3] {
                match self { $(T::$name => [$hans, $hant, $en],)* }
            }
        }
    };
}

texts! {
    Product => ["报到 · 积分管理", "報到 · 積分管理", "Baodao · points office"],
    Today => ["今日", "今日", "Today"],
    Points => ["积分", "積分", "Points"],
    Review => ["审核", "審核", "Review"],
    Audit => ["操作日志", "操作日誌", "Audit log"],
    LogOut => ["退出", "登出", "Log out"],
    LogIn => ["登录", "登入", "Log in"],
    Username => ["用户名", "使用者名稱", "Username"],
    Password => ["密码", "密碼", "Password"],
    WrongPassword => ["用户名或密码错误", "使用者名稱或密碼錯誤", "Wrong username or password"],
    SessionEnded => ["登录已过期，请重新登录", "登入已逾時，請重新登入", "Your session ended; please log in again"],
    Forbidden => ["您没有此操作的权限", "您沒有此操作的權限", "You may not do this"],
    FormExpired => ["表单已失效，请重试", "表單已失效，請重試", "The form expired; please try again"],
    ActivitiesToday => ["今日活动", "今日活動", "Today's activities"],
    NoActivities => ["今日没有活动", "今日沒有活動", "No activities today"],
    Activity => ["活动", "活動", "Activity"],
    Kind => ["类型", "類型", "Kind"],
    Community => ["社区", "社區", "Community"],
    Organization => ["所属党组织", "所屬黨組織", "Home organisation"],
    Starts => ["开始", "開始", "Starts"],
    Ends => ["结束", "結束", "Ends"],
    Attended => ["参加人数", "參加人數", "Attended"],
    Kiosks => ["签到机", "簽到機", "Kiosks"],
    Kiosk => ["签到机", "簽到機", "Kiosk"],
    LastSeen => ["最后联系", "最後聯繫", "Last seen"],
    ClockOffset => ["时钟偏差", "時鐘偏差", "Clock offset"],
    Silent => ["失联", "失聯", "Silent"],
    Never => ["从未", "從未", "Never"],
    Revoked => ["已吊销", "已撤銷", "Revoked"],
    Fine => ["正常", "正常", "OK"],
    Health => ["运行情况", "運行情況", "Health"],
    Camera => ["摄像头", "攝影機", "Camera"],
    CameraFailing => ["摄像头故障", "攝影機故障", "Camera failing"],
    CameraOff => ["未用摄像头", "未用攝影機", "No camera"],
    Waiting => ["待上传", "待上傳", "Waiting"],
    OldestWaiting => ["最久待传", "最久待傳", "Oldest waiting"],
    DiskFree => ["磁盘剩余", "磁碟剩餘", "Disk free"],
    Version => ["版本", "版本", "Version"],
    Received => ["收到时间", "收到時間", "Received"],
    LastError => ["最近错误", "最近錯誤", "Last error"],
    Heartbeats => ["最近两小时的心跳", "最近兩小時的心跳", "Heartbeats, last two hours"],
    NoHeartbeats => ["最近两小时没有收到这台签到机的心跳。", "最近兩小時沒有收到這台簽到機的心跳。", "No heartbeat from this kiosk in the last two hours."],
    EnrolCode => ["注册码", "註冊碼", "Enrolment code"],
    EnrolCodeHelp => ["在新签到机的注册画面上，把此二维码对准摄像头，或输入上面的注册码。注册码只能使用一次，只显示这一次。", "在新簽到機的註冊畫面上，把此二維碼對準攝影機，或輸入上面的註冊碼。註冊碼只能使用一次，只顯示這一次。", "On the new kiosk's enrolment screen, show this QR code to the camera or type the code above. It works once and is shown this once only."],
    GoodUntil => ["有效期至", "有效期至", "Good until"],
    State => ["状态", "狀態", "State"],
    Year => ["年度", "年度", "Year"],
    All => ["全部", "全部", "All"],
    Search => ["搜索姓名、拼音或编号", "搜尋姓名、拼音或編號", "Search name, pinyin or id"],
    Show => ["查询", "查詢", "Show"],
    Sort => ["排序", "排序", "Sort by"],
    MembersPage => ["党员", "黨員", "Members"],
    ActivitiesPage => ["活动", "活動", "Activities"],
    NewActivity => ["新建活动", "新增活動", "New activity"],
    Title => ["活动名称", "活動名稱", "Title"],
    Create => ["创建", "建立", "Create"],
    Upcoming => ["近期活动（前 30 天至后 90 天）", "近期活動（前 30 天至後 90 天）", "Recent and upcoming (30 days back, 90 ahead)"],
    Created => ["活动已保存", "活動已儲存", "The activity is saved"],
    PrintCards => ["打印党员卡", "列印黨員卡", "Print member cards"],
    PrintCardsHelp => ["为所选党员签发新卡并生成 A4 打印页（每页 10 张，带裁切线）；旧卡随即失效。填写社区（全体党员）或党员编号（以逗号或空格分隔）。", "為所選黨員簽發新卡並產生 A4 列印頁（每頁 10 張，附裁切線）；舊卡隨即失效。填寫社區（全體黨員）或黨員編號（以逗號或空格分隔）。", "Issues new cards to the chosen members and makes A4 sheets (10 a page, with cut marks); their old cards stop working. Give a community (all its members) or member ids (separated by commas or spaces)."],
    NoSigningKey => ["本服务器不持有制卡密钥：请在中心办公室的服务器上打印，或使用 baodao-sync-server cards issue。", "本伺服器不持有製卡金鑰：請在中心辦公室的伺服器上列印，或使用 baodao-sync-server cards issue。", "This server does not hold the card signing key: print on the office's own server, or use baodao-sync-server cards issue."],
    MemberIds => ["党员编号", "黨員編號", "Member ids"],
    IssueAndPrint => ["签发并打印", "簽發並列印", "Issue and print"],
    Designation => ["名称", "名稱", "Name"],
    ByDistrict => ["按区、街道汇总", "按區、街道彙總", "By district and subdistrict"],
    ClockShift => ["时钟校正", "時鐘校正", "Clock corrected by"],
    RegistryPage => ["组织与社区", "組織與社區", "Organisations and communities"],
    RegistryHelp => ["导入时可用编号或名称指代社区与党组织：baodao-sync-server communities import / organizations import。", "匯入時可用編號或名稱指代社區與黨組織：baodao-sync-server communities import / organizations import。", "Imports may name a community or an organisation by id or by name: baodao-sync-server communities import / organizations import."],
    Communities => ["社区", "社區", "Communities"],
    Organizations => ["党组织", "黨組織", "Organisations"],
    Subdistrict => ["街道", "街道", "Subdistrict"],
    District => ["区", "區", "District"],
    PairedOrganizations => ["结对党组织", "結對黨組織", "Paired organisations"],
    PairedCommunities => ["结对社区", "結對社區", "Paired communities"],
    HowCounted => ["计分", "計分", "Counted"],
    HowRepeat => ["重复（已计）", "重複（已計）", "Repeat (counted once)"],
    HowOverCap => ["超过年度上限", "超過年度上限", "Over the year's cap"],
    HowVoided => ["已作废", "已作廢", "Voided"],
    Inactive => ["已停用", "已停用", "Inactive"],
    Active => ["在册", "在冊", "Active"],
    Deactivate => ["停用", "停用", "Make inactive"],
    Reactivate => ["恢复", "恢復", "Make active again"],
    TransferTo => ["转入社区", "轉入社區", "Transfer to community"],
    Transfer => ["转出", "轉出", "Transfer"],
    Records => ["签到记录", "簽到記錄", "Records"],
    History => ["变更记录", "變更記錄", "History"],
    NoteRequired => ["请填写备注", "請填寫備註", "A note is required"],
    Place => ["地点", "地點", "Place"],
    Organiser => ["组织者", "組織者", "Organiser"],
    Capacity => ["人数上限", "人數上限", "Capacity"],
    Save => ["保存", "儲存", "Save"],
    Cancelled => ["已取消", "已取消", "Cancelled"],
    CancelActivity => ["取消活动", "取消活動", "Cancel the activity"],
    CancelHelp => ["取消后，签到机在下次同步时不再显示该活动；已有的签到记录转为待审核。", "取消後，簽到機在下次同步時不再顯示該活動；已有的簽到記錄轉為待審核。", "Once cancelled, kiosks drop the activity at their next sync; its records so far wait for review."],
    QuarterReport => ["本季度报告（Excel）", "本季度報告（Excel）", "This quarter's report (Excel)"],
    RegisterKiosk => ["登记签到机", "登記簽到機", "Register a kiosk"],
    TokenShownOnce => ["签到机令牌只显示这一次：请立即复制到签到机的配置中。", "簽到機權杖只顯示這一次：請立即複製到簽到機的設定中。", "The kiosk's token is shown this once only: copy it into the kiosk's configuration now."],
    Revoke => ["吊销", "撤銷", "Revoke"],
    Users => ["用户", "使用者", "Users"],
    AddUser => ["添加用户", "新增使用者", "Add a user"],
    Role => ["角色", "角色", "Role"],
    CutOff => ["停用其令牌与登录", "停用其權杖與登入", "Revoke tokens and sessions"],
    Statement => ["年度积分证明（PDF）", "年度積分證明（PDF）", "Annual statement (PDF)"],
    ImportMembers => ["导入党员名单", "匯入黨員名單", "Import members"],
    MembersFileHelp => ["Excel（.xlsx）或 CSV 文件（UTF-8、GBK 或 Unicode 文本均可），列：编号、姓名、所属党组织、社区（或 member_id, name, organization, community），顺序不限", "Excel（.xlsx）或 CSV 檔案（UTF-8、GBK 或 Unicode 文字均可），欄：編號、姓名、所屬黨組織、社區（或 member_id, name, organization, community），順序不限", "An Excel (.xlsx) or CSV file (UTF-8, GBK or Unicode text) with the columns member_id, name, organization, community (or their Chinese headers), in any order"],
    File => ["文件", "檔案", "File"],
    Preview => ["预览", "預覽", "Preview"],
    ImportNow => ["确认导入", "確認匯入", "Import now"],
    Line => ["行", "行", "Line"],
    Column => ["列", "欄", "Column"],
    Problem => ["问题", "問題", "Problem"],
    MemberList => ["党员名单", "黨員名單", "Members"],
    MemberId => ["编号", "編號", "Member id"],
    Name => ["姓名", "姓名", "Name"],
    Activities => ["参加活动", "參加活動", "Activities"],
    PointsOf => ["积分", "積分", "Points"],
    ByOrganization => ["按党组织汇总", "按黨組織彙總", "By home organisation"],
    ByCommunity => ["按社区汇总", "按社區彙總", "By community"],
    Members => ["党员数", "黨員數", "Members"],
    MeanPoints => ["平均积分", "平均積分", "Mean points"],
    AtZero => ["零分", "零分", "At 0"],
    AtCap => ["满分", "滿分", "At the cap"],
    Distribution => ["积分分布", "積分分佈", "Distribution"],
    ExportCsv => ["导出 CSV", "匯出 CSV", "Export CSV"],
    Export => ["导出", "匯出", "Export"],
    Member => ["党员", "黨員", "Member"],
    Status => ["状态", "狀態", "Status"],
    Reason => ["原因", "原因", "Reason"],
    ScannedAt => ["签到时间", "簽到時間", "Scanned"],
    CorrectedAt => ["校正后时间", "校正後時間", "Corrected"],
    Accept => ["通过", "通過", "Accept"],
    Reject => ["驳回", "駁回", "Reject"],
    Note => ["备注", "備註", "Note"],
    NothingToReview => ["没有待审核的记录", "沒有待審核的記錄", "Nothing waits for review"],
    When => ["时间", "時間", "When"],
    Who => ["操作人", "操作人", "Who"],
    Action => ["操作", "操作", "Action"],
    Subject => ["对象", "對象", "Subject"],
    Before => ["之前", "之前", "Before"],
    After => ["之后", "之後", "After"],
    NoChanges => ["暂无记录", "暫無記錄", "No changes yet"],
    StatusAccepted => ["有效", "有效", "Counted"],
    StatusRepeat => ["重复", "重複", "Repeat"],
    StatusHeld => ["待审核", "待審核", "Held"],
    StatusRejected => ["已驳回", "已駁回", "Rejected"],
}

/// A server reason in the office's words.
pub fn reason(lang: Lang, reason: baodao_shared::protocol::Reason) -> &'static str {
    use baodao_shared::protocol::Reason as R;
    let [simplified, traditional, english] = match reason {
        R::UnknownMember => ["未知党员", "未知黨員", "Unknown member"],
        R::UnknownActivity => ["未知活动", "未知活動", "Unknown activity"],
        R::OtherCommunity => [
            "其他社区的活动",
            "其他社區的活動",
            "Another community's activity",
        ],
        R::CardMissing => ["缺少党员卡", "缺少黨員卡", "No card"],
        R::NotBaodaoCard => ["非报到党员卡", "非報到黨員卡", "Not a Baodao card"],
        R::CardMalformed => ["党员卡已损坏", "黨員卡已損壞", "Damaged card"],
        R::CardUnknownKey => ["未知的制卡密钥", "未知的製卡金鑰", "Unknown card key"],
        R::BadCardSignature => ["伪造的党员卡", "偽造的黨員卡", "Forged card"],
        R::CardOfAnotherMember => ["他人的党员卡", "他人的黨員卡", "Another member's card"],
        R::CardExpired => ["党员卡已过期", "黨員卡已過期", "Expired card"],
        R::CardRevoked => ["党员卡已挂失", "黨員卡已掛失", "Revoked card"],
        R::CardReplaced => ["党员卡已换新", "黨員卡已換新", "Replaced card"],
        R::OutsideActivityWindow => [
            "不在活动时间内",
            "不在活動時間內",
            "Outside the activity's time",
        ],
        R::MalformedRecord => ["记录格式错误", "記錄格式錯誤", "Malformed record"],
        R::InvalidTime => ["时间无效", "時間無效", "Invalid time"],
        R::InvalidReason => ["原因无效", "原因無效", "Invalid reason"],
        R::RecordIdConflict => ["记录编号冲突", "記錄編號衝突", "Record id conflict"],
        R::ScannedInFuture => [
            "签到时间晚于服务器时间",
            "簽到時間晚於伺服器時間",
            "Scanned in the future",
        ],
        R::ClockUntrusted => [
            "签到机时钟偏差过大",
            "簽到機時鐘偏差過大",
            "Kiosk clock too far off",
        ],
        R::ManualAfterActivity => [
            "活动结束后补登",
            "活動結束後補登",
            "Entered by hand after the activity",
        ],
        R::ManualForOtherCommunity => [
            "手工登记他社区党员",
            "手工登記他社區黨員",
            "Manual check-in of another community's member",
        ],
        R::ManualLimit => [
            "手工签到超过上限",
            "手工簽到超過上限",
            "Over the manual check-in limit",
        ],
        R::AttendedElsewhere => [
            "同一时间在其他社区签到",
            "同一時間在其他社區簽到",
            "Counted at another community at the same time",
        ],
        R::MemberInactive => ["党员身份已停用", "黨員身分已停用", "Membership inactive"],
        R::ActivityCancelled => ["活动已取消", "活動已取消", "Activity cancelled"],
        R::Unknown => ["其他原因", "其他原因", "Another reason"],
    };
    match lang {
        Lang::Hans => simplified,
        Lang::Hant => traditional,
        Lang::En => english,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_translated() {
        for text in T::ALL {
            for lang in Lang::ALL {
                assert!(!lang.t(*text).trim().is_empty(), "{text:?} in {lang:?}");
            }
            // A Chinese text left in English (or the reverse) is a slip.
            let cjk = |s: &str| s.chars().any(|c| ('\u{3000}'..='\u{9fff}').contains(&c));
            assert!(!cjk(Lang::En.t(*text)), "{text:?}");
            assert!(
                cjk(Lang::Hans.t(*text)) && cjk(Lang::Hant.t(*text)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn every_import_problem_is_said_in_chinese_too() {
        use crate::import::problem::Problem as P;
        let text = || "x".to_owned();
        for problem in [
            P::Empty,
            P::TooLong { max: 200 },
            P::ControlCharacters,
            P::BadId {
                text: text(),
                why: text(),
            },
            P::UnknownCommunity { text: text() },
            P::UnknownKind { text: text() },
            P::NotATime {
                text: text(),
                zone: text(),
            },
            P::OutOfYears { text: text() },
            P::NoSuchLocalTime {
                text: text(),
                zone: text(),
            },
            P::EndsBeforeStart,
            P::Twice { key: text() },
            P::NameTaken {
                name: text(),
                by: text(),
            },
        ] {
            let cjk = |s: String| s.chars().any(|c| ('\u{3000}'..='\u{9fff}').contains(&c));
            assert!(cjk(Lang::Hans.problem(&problem)), "{problem:?}");
            assert!(cjk(Lang::Hant.problem(&problem)), "{problem:?}");
            assert_eq!(Lang::En.problem(&problem), problem.to_string());
        }
    }

    #[test]
    fn every_reason_has_words_in_each_language() {
        for r in baodao_shared::protocol::Reason::ALL {
            for lang in Lang::ALL {
                assert!(!reason(lang, r).is_empty());
            }
            assert_ne!(reason(Lang::Hans, r), reason(Lang::En, r), "{r:?}");
        }
    }

    #[test]
    fn the_browser_language_picks_the_script() {
        assert_eq!(Lang::negotiate("zh-TW,zh;q=0.9"), Lang::Hant);
        assert_eq!(Lang::negotiate("zh-Hant-HK"), Lang::Hant);
        assert_eq!(Lang::negotiate("zh-CN,en;q=0.5"), Lang::Hans);
        assert_eq!(Lang::negotiate("en-GB,en"), Lang::En);
        assert_eq!(Lang::negotiate("fr"), Lang::Hans);
        assert_eq!(Lang::negotiate(""), Lang::Hans);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }
}
